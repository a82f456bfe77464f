"""The Lightning Trainer, its logger and callbacks from the `hardware`, `logger`, `trainer` and
`callbacks` config nodes; loggers and callbacks are built from their `_target_`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.loggers import Logger
from pytorch_lightning.strategies import DDPStrategy

from hyperpeft.training.checkpoint_io import DirectCheckpointIO
from hyperpeft.training.frozen_weights import StoreFrozenWeights


def build_logger(cfg: DictConfig, run_dir: Path) -> Logger | None:
    """The `logger` group's `_target_`: a factory called with the group's other keys (`name`
    only names the option) and the run's own `run_config` (the composed config, from which W&B
    names and groups its run) and `run_dir`. `logger=none` has no target and no logger."""
    node = cfg.logger
    if node.get("_target_") is None:
        return None
    options = OmegaConf.masked_copy(node, [key for key in node if key != "name"])
    factory = instantiate(options, _partial_=True)
    return factory(run_config=cfg, run_dir=run_dir)


def configured_callbacks(cfg: DictConfig) -> list[pl.Callback]:
    """Lightning callbacks the config adds under `callbacks.<any name>`, each from its `_target_`
    (e.g. `+callbacks.lr._target_=pytorch_lightning.callbacks.LearningRateMonitor`); null drops one."""
    nodes = cfg.get("callbacks") or {}
    return [instantiate(node) for node in nodes.values() if node is not None]


def _strategy(hardware: DictConfig, num_tasks: int) -> Any:
    if hardware.strategy != "ddp":
        return hardware.strategy
    backend = "nccl" if hardware.accelerator == "gpu" else "gloo"
    # a batch holds one task, so the other tasks' heads and adapters get no gradient that step
    return DDPStrategy(process_group_backend=backend, find_unused_parameters=num_tasks > 1)


def build_trainer(
    cfg: DictConfig, run_dir: Path, callbacks: list[pl.Callback]
) -> tuple[pl.Trainer, Logger | None]:
    """The run's own `callbacks` first, then the configured ones."""
    hardware = cfg.hardware
    if hardware.get("frozen_weights", "float32") != "float32":
        callbacks = [StoreFrozenWeights(hardware.frozen_weights), *callbacks]
    accumulate = int(cfg.trainer.accumulate_grad_batches)
    max_steps = int(cfg.trainer.max_steps)
    eval_every = max(1, min(int(cfg.trainer.eval_every), max_steps or 1))
    logger = build_logger(cfg, run_dir)
    trainer = pl.Trainer(
        accelerator=hardware.accelerator,
        devices=hardware.devices,
        num_nodes=hardware.num_nodes,
        strategy=_strategy(hardware, len(cfg.task.tasks)),
        precision=hardware.precision,
        max_steps=max_steps,
        max_epochs=-1,
        val_check_interval=eval_every * accumulate,
        check_val_every_n_epoch=None,
        num_sanity_val_steps=0,
        gradient_clip_val=cfg.trainer.gradient_clip or None,
        accumulate_grad_batches=accumulate,
        logger=logger if logger is not None else False,
        callbacks=[*callbacks, *configured_callbacks(cfg)],
        enable_checkpointing=False,
        use_distributed_sampler=False,
        default_root_dir=str(run_dir),
        log_every_n_steps=max(1, min(50, eval_every)),
        enable_progress_bar=sys.stderr.isatty(),
        enable_model_summary=False,
        plugins=[DirectCheckpointIO()],  # no in-memory copy of each checkpoint (checkpoint_io.py)
    )
    return trainer, logger
