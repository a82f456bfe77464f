"""Registers every schema with Hydra's ConfigStore, under `schema/`, before Hydra composes.

Each YAML of `conf/` names its schema first in its defaults list and overrides only what differs:

    conf/config.yaml          - /schema/config@_here_          (RunConfig: top-level, data, trainer)
    conf/method/<name>.yaml   - /schema/method/<name>@_here_   (the method's registered dataclass)
    conf/hardware/<name>.yaml - /schema/hardware@_here_
    conf/model/<name>.yaml    - /schema/model@_here_
    conf/logger/<name>.yaml   - /schema/logger/<name>@_here_   (base, csv or wandb)

Schemas live in a group of their own so they never show up as options of the groups users pick.
"""

from __future__ import annotations

from hydra.core.config_store import ConfigStore

from hyperpeft.config.hardware import HardwareConfig
from hyperpeft.config.logger import CsvLoggerConfig, LoggerConfig, WandbLoggerConfig
from hyperpeft.config.model import ModelConfig
from hyperpeft.config.root import RunConfig

GROUP = "schema"


def register_configs() -> None:
    """Store the schemas (again: storing twice is harmless); call before any composition."""
    from hyperpeft.launch.slurm import register_resolvers
    from hyperpeft.methods.registry import REGISTRY  # importing the package registers them all
    from hyperpeft.run_folder import register_run_folder_resolver
    from hyperpeft.tasks.options import register_task_configs

    register_task_configs()  # one option per registered task, the task schema, the resolver
    register_run_folder_resolver()  # hydra.run.dir's
    register_resolvers()  # the launcher presets' (conf/hydra/launcher)

    store = ConfigStore.instance()
    store.store(group=GROUP, name="config", node=RunConfig)
    store.store(group=GROUP, name="hardware", node=HardwareConfig)
    store.store(group=GROUP, name="model", node=ModelConfig)
    store.store(group=f"{GROUP}/logger", name="base", node=LoggerConfig)
    store.store(group=f"{GROUP}/logger", name="csv", node=CsvLoggerConfig)
    store.store(group=f"{GROUP}/logger", name="wandb", node=WandbLoggerConfig)
    for name, (_, config_class) in REGISTRY.items():
        store.store(group=f"{GROUP}/method", name=name, node=config_class(name=name))
