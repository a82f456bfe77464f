"""The Lightning Trainer and logger from the `hardware`, `logger` and `trainer` groups."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from omegaconf import DictConfig
from pytorch_lightning.loggers import CSVLogger
from pytorch_lightning.strategies import DDPStrategy

from hyperpeft.errors import ConfigError

LOGGERS = ("csv", "wandb", "none")


def build_logger(cfg: DictConfig, run_dir: Path) -> Any:
    name = cfg.logger.name
    if name == "csv":
        return CSVLogger(save_dir=str(run_dir), name="logs", version="")
    if name == "wandb":
        from hyperpeft.tracking.wandb import make_wandb_logger

        return make_wandb_logger(cfg, run_dir)
    if name == "none":
        return None
    raise ConfigError("logger", name, f"one of: {', '.join(LOGGERS)}")


def _strategy(hardware: DictConfig, num_tasks: int) -> Any:
    if hardware.strategy != "ddp":
        return hardware.strategy
    backend = "nccl" if hardware.accelerator == "gpu" else "gloo"
    # a batch holds one task, so the other tasks' heads and adapters get no gradient that step
    return DDPStrategy(process_group_backend=backend, find_unused_parameters=num_tasks > 1)


def build_trainer(
    cfg: DictConfig, run_dir: Path, callbacks: list[pl.Callback]
) -> tuple[pl.Trainer, Any]:
    hardware = cfg.hardware
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
        callbacks=callbacks,
        enable_checkpointing=False,
        use_distributed_sampler=False,
        default_root_dir=str(run_dir),
        log_every_n_steps=max(1, min(50, eval_every)),
        enable_progress_bar=sys.stderr.isatty(),
        enable_model_summary=False,
    )
    return trainer, logger
