"""Typed config schemas: one dataclass per config group, registered with Hydra's ConfigStore.

The dataclasses own every default and type; the YAMLs in `conf/` name their schema first in
their defaults list and override only what differs. OmegaConf refuses unknown keys and wrong
types as Hydra composes; the range checks that types cannot express sit next to their fields,
in each schema's `validate()`.

- `register_configs()` stores the schemas; call it before Hydra composes (the CLI does).
- `compose_config(overrides)` composes `conf/config.yaml` as the CLI does (tests, benchmarks).
- `validate_config(cfg)` checks a composed config and returns it as a typed `RunConfig`.
- Method schemas are the methods' own config dataclasses (`hyperpeft.methods`), registered
  under the names they are registered with.
"""

from hyperpeft.config.compose import compose_config, config_dir
from hyperpeft.config.data import DataConfig
from hyperpeft.config.hardware import HardwareConfig
from hyperpeft.config.logger import CsvLoggerConfig, LoggerConfig, WandbLoggerConfig
from hyperpeft.config.model import ModelConfig
from hyperpeft.config.root import RunConfig, SweepTrialConfig
from hyperpeft.config.store import register_configs
from hyperpeft.config.trainer import TrainerConfig
from hyperpeft.config.typed import config_error, typed
from hyperpeft.config.validate import validate_config

__all__ = [
    "CsvLoggerConfig",
    "DataConfig",
    "HardwareConfig",
    "LoggerConfig",
    "ModelConfig",
    "RunConfig",
    "SweepTrialConfig",
    "TrainerConfig",
    "WandbLoggerConfig",
    "compose_config",
    "config_dir",
    "config_error",
    "register_configs",
    "typed",
    "validate_config",
]
