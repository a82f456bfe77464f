"""The Hydra `Sweeper` that Hydra instantiates for `hydra/sweeper=optuna`.

A thin shell: Hydra scans this module at every start, so the Optuna-backed implementation is
imported only when a sweep is actually built.
"""

from __future__ import annotations

from typing import Any

from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


class OptunaSweeper(Sweeper):
    """Asks trials from an Optuna study, runs each as a Hydra job, tells the study the result."""

    def __init__(self, **settings: Any) -> None:
        from hydra_plugins.hyperpeft_optuna_sweeper._impl import OptunaSweeperImpl

        self.sweeper = OptunaSweeperImpl(**settings)

    def setup(
        self,
        *,
        hydra_context: HydraContext,
        task_function: TaskFunction,
        config: DictConfig,
    ) -> None:
        self.sweeper.setup(hydra_context=hydra_context, task_function=task_function, config=config)

    def sweep(self, arguments: list[str]) -> Any:
        return self.sweeper.sweep(arguments)
