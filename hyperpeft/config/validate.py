"""The checks a composed config passes before any work: schema keys, then value ranges."""

from __future__ import annotations

import dataclasses

from omegaconf import DictConfig, OmegaConf

from hyperpeft.config.root import RunConfig
from hyperpeft.config.typed import config_error, refuse_unknown_keys
from hyperpeft.tasks.config import TaskConfig


def validate_config(cfg: DictConfig) -> RunConfig:
    """The composed config as typed objects, every value checked that needs no backbone
    (the method's sizes are checked against it in `build_method`); raises ConfigError."""
    schema = OmegaConf.get_type(cfg)
    if not (isinstance(schema, type) and issubclass(schema, RunConfig)):
        raise TypeError(f"composed without the schema (root type {schema}); see register_configs")
    refuse_unknown_keys(cfg)
    try:
        config = _typed_groups(cfg)
    except Exception as err:
        error = config_error(err)
        if error is None:
            raise
        raise error from err
    TaskConfig.from_config(cfg.task)  # the mixture and its custom tasks
    config.validate()
    return config


def _typed_groups(cfg: DictConfig) -> RunConfig:
    """Each group as its dataclass; `task` stays as composed: a custom task's template may hold
    values left unset (`???`) that only the tasks it names must fill in."""
    values = {}
    for field in dataclasses.fields(RunConfig):
        node = cfg[field.name]
        as_composed = field.name == "task" or not OmegaConf.is_config(node)
        values[field.name] = node if as_composed else OmegaConf.to_object(node)
    return RunConfig(**values)
