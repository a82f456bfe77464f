"""A trained run back from its checkpoint: the config in model.safetensors' metadata rebuilds
the backbone, method and heads, and the saved weights go in. Predicting and exporting start here.

    cfg, module, tasks = load_trained_run("outputs/runs/<run>")

The backbone is rebuilt as the run built it (its seed first, so a model built from settings gets
the same random weights); the checkpoint holds only what was trained.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf
from safetensors import SafetensorError

from hyperpeft.errors import ConfigError
from hyperpeft.recipe.build import build_module, build_parts, run_metadata
from hyperpeft.tasks import Task
from hyperpeft.training.checkpoints import (
    CHECKPOINT_DIR,
    WEIGHTS_FILE,
    load_trained_weights,
    read_metadata,
)
from hyperpeft.training.module import MultiTaskModule


class TrainedRun(NamedTuple):
    cfg: DictConfig  # the run's composed config, as it was when the checkpoint was saved
    module: MultiTaskModule  # in eval mode, on the CPU, without evaluation examples
    tasks: list[Task]


def weights_path(path: str | Path) -> Path:
    """A model.safetensors, the checkpoint folder holding it, or the run folder above that."""
    path = Path(path)
    for candidate in (path, path / WEIGHTS_FILE, path / CHECKPOINT_DIR / WEIGHTS_FILE):
        if candidate.is_file():
            return candidate
    raise ConfigError("checkpoint", str(path), "no such file; give a run's model.safetensors")


def load_trained_run(path: str | Path) -> TrainedRun:
    """The config, the module with its trained weights loaded, and the tasks of a saved run."""
    weights = weights_path(path)
    try:
        config = read_metadata(weights).get("config")
    except SafetensorError as err:
        raise ConfigError(
            "checkpoint", str(weights), f"is not a safetensors file ({err})"
        ) from None
    if not isinstance(config, dict):
        raise ConfigError(
            "checkpoint", str(weights), "holds no run config in its metadata; not a hyperpeft run's"
        )
    cfg = OmegaConf.create(config)
    pl.seed_everything(cfg.seed, workers=True, verbose=False)
    parts = build_parts(cfg)
    module = build_module(cfg, parts)
    load_trained_weights(module, weights, run_metadata(cfg))
    return TrainedRun(cfg, module.eval(), parts.tasks)
