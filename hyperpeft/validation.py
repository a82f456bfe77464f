"""Checks of user values that Hydra's schema-free YAML cannot express, made before any work."""

from __future__ import annotations

import torch
from omegaconf import DictConfig

from hyperpeft.errors import ConfigError
from hyperpeft.tasks.config import TaskConfig


def _positive(cfg: DictConfig, key: str, allow_zero: bool = False) -> None:
    value = cfg
    for part in key.split("."):
        value = value[part]
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not numeric or not (value >= 0 if allow_zero else value > 0):
        bound = ">= 0" if allow_zero else "> 0"
        raise ConfigError(key, value, f"must be a number {bound}")


def validate_config(cfg: DictConfig) -> None:
    TaskConfig.from_config(cfg.task)
    for key in ("trainer.batch_size", "trainer.eval_batch_size", "trainer.eval_every"):
        _positive(cfg, key)
    _positive(cfg, "trainer.max_steps", allow_zero=True)
    _positive(cfg, "trainer.accumulate_grad_batches")
    _positive(cfg, "model.max_length")
    if cfg.trainer.learning_rate is not None:
        _positive(cfg, "trainer.learning_rate")
    if not 0 <= cfg.trainer.warmup_ratio < 1:
        raise ConfigError("trainer.warmup_ratio", cfg.trainer.warmup_ratio, "must be in [0, 1)")
    if cfg.hardware.accelerator == "gpu" and not torch.cuda.is_available():
        raise ConfigError(
            "hardware", cfg.hardware.name, "no CUDA device is visible here; use hardware=cpu"
        )
