"""Step 1, build: the run folder, the backbone, the method, the tasks, then the module and the
weights it starts from (`checkpoint=`, or `init_from=`: hyperpeft.recipe.transfer).

The module comes last because it is handed its evaluation examples, which need the backbone's
tokenizer (step 2) first. A dry run of a model built from settings stays on the meta device:
shapes only, nothing allocated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf

from hyperpeft.accounting import count_parameters
from hyperpeft.atomic import atomic_write_text
from hyperpeft.backbones import Backbone, load_backbone
from hyperpeft.config import validate_config
from hyperpeft.errors import ConfigError
from hyperpeft.methods import Method, build_method
from hyperpeft.recipe.transfer import read_source, transfer
from hyperpeft.tasks import Task, get_task
from hyperpeft.training.checkpoints import checkpoint_bytes, load_trained_weights
from hyperpeft.training.module import MultiTaskModule
from hyperpeft.training.threads import use_threads

CONFIG_FILE = "config.yaml"


@dataclass
class RunParts:
    """What a module is made of; the tokenizer (`backbone.tokenizer`) also prepares the data."""

    tasks: list[Task]
    backbone: Backbone
    method: Method


def run_metadata(cfg: DictConfig) -> dict:
    """What a checkpoint records so it can be rebuilt and checked against a later run."""
    return {
        "model": cfg.model.name,
        "method": cfg.method.name,
        "tasks": list(cfg.task.tasks),
        "config": OmegaConf.to_container(cfg, resolve=True),
    }


def start_run(cfg: DictConfig, run_dir: Path) -> dict:
    """Check the config (and the trained run `init_from` names), seed every generator, write
    the composed config; the run's metadata."""
    validate_config(cfg)
    use_threads(int(cfg.hardware.get("threads", 0)))
    if cfg.get("init_from"):
        read_source(cfg)
    pl.seed_everything(cfg.seed, workers=True, verbose=False)
    run_dir.mkdir(parents=True, exist_ok=True)
    # whole or not at all: a resume reads the run from it
    atomic_write_text(run_dir / CONFIG_FILE, OmegaConf.to_yaml(cfg, resolve=True))
    return run_metadata(cfg)


def build_parts(cfg: DictConfig, dry_run: bool = False) -> RunParts:
    """The tasks, the backbone and the method attached to it; seed first for equal weights."""
    tasks = [get_task(name, cfg.task.get("custom")) for name in cfg.task.tasks]
    device = "meta" if dry_run and not cfg.model.pretrained else None
    backbone = load_backbone(cfg.model, with_tokenizer=not dry_run, device=device)
    check_model_fits(cfg, backbone)
    method = build_method(cfg.method, backbone, [task.name for task in tasks])
    return RunParts(tasks, backbone, method)


def check_model_fits(cfg: DictConfig, backbone: Backbone) -> None:
    """Pairs that cannot work: inputs longer than the model's position table."""
    positions = getattr(backbone.model.config, "max_position_embeddings", None)
    if positions is not None and cfg.model.max_length > positions:
        raise ConfigError(
            "model.max_length",
            cfg.model.max_length,
            f"{cfg.model.name} has {positions} positions; use at most that",
        )


def build_module(
    cfg: DictConfig,
    parts: RunParts,
    eval_examples: Mapping[str, Sequence[Sequence[Any]]] | None = None,
    label_means: Mapping[str, float] | None = None,
) -> MultiTaskModule:
    """The LightningModule: backbone, method, the tasks' heads and the optimiser's settings.
    `label_means` (from the data step): where each regression head's bias starts."""
    learning_rate = cfg.trainer.learning_rate or parts.method.learning_rate
    max_steps = int(cfg.trainer.max_steps)
    return MultiTaskModule(
        parts.backbone,
        parts.method,
        parts.tasks,
        learning_rate=float(learning_rate),
        weight_decay=cfg.trainer.weight_decay,
        warmup_steps=int(cfg.trainer.warmup_ratio * max_steps),
        total_steps=max_steps,
        head_dropout=cfg.trainer.head_dropout,
        eval_examples=eval_examples,
        label_smoothing=label_smoothing(cfg, parts.method),
        label_means=label_means,
    )


def label_smoothing(cfg: DictConfig, method: Method) -> float:
    """`trainer.label_smoothing`, or where it is null the method's recipe default."""
    chosen = cfg.trainer.get("label_smoothing")
    return float(method.config.default_label_smoothing if chosen is None else chosen)


def start_weights(cfg: DictConfig, module: MultiTaskModule, metadata: dict) -> None:
    """The weights a run starts from other than its fresh ones: a run of the same tasks
    (`checkpoint=`), or a trained run's shared and matching per-task weights (`init_from=`)."""
    if cfg.checkpoint:
        load_trained_weights(module, cfg.checkpoint, metadata)
    elif cfg.get("init_from"):
        print(transfer(module, cfg).summary(cfg.init_from))


def parameter_table(module: MultiTaskModule, metadata: dict) -> dict:
    """The counts by the papers' conventions and the exact size of the checkpoint it saves."""
    extra = (module.heads,) if module.heads is not None else ()
    params = count_parameters(module.backbone, module.method, extra_modules=extra)
    params["checkpoint_bytes"] = checkpoint_bytes(module.trainable_state_dict(), metadata)
    return params
