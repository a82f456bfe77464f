"""The checks a composed config passes before any work: schema keys, then value ranges."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from hyperpeft.config.root import RunConfig
from hyperpeft.config.typed import config_error, refuse_unknown_keys
from hyperpeft.errors import ConfigError


def validate_config(cfg: DictConfig) -> RunConfig:
    """The composed config as typed objects, every value checked that needs no backbone
    (the method's sizes are checked against it in `build_method`); raises ConfigError."""
    refuse_unknown_keys(cfg)
    try:
        config = OmegaConf.to_object(cfg)
    except Exception as err:
        error = config_error(err)
        if error is None:
            raise
        raise error from err
    assert isinstance(config, RunConfig), f"{type(config).__name__}: not composed with the schema"
    _check_task_mixture(cfg.task)
    config.validate()
    return config


def _check_task_mixture(task: DictConfig) -> None:
    tasks = task.tasks
    if tasks is None or len(tasks) == 0:
        raise ConfigError(
            "task.tasks", list(tasks or []), "an empty mixture; give at least one task"
        )
    duplicates = sorted({name for name in tasks if list(tasks).count(name) > 1})
    if duplicates:
        raise ConfigError("task.tasks", list(tasks), f"names {duplicates} more than once")
    temperature = task.temperature
    if not isinstance(temperature, (int, float)) or temperature <= 0:
        raise ConfigError(
            "task.temperature", temperature, "must be a number > 0 (1 = proportional)"
        )
