"""The pruners a sweep can name, built the same way in the sweeper and in every trial's job.

A pruner is not saved in Optuna's storage: the job that decides whether its own trial stops must
build the pruner the sweeper was configured with, from the settings the sweeper passes along.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hyperpeft.errors import ConfigError

if TYPE_CHECKING:
    from optuna.pruners import BasePruner

PRUNERS = ("none", "median", "hyperband")


def make_pruner(name: str | None, args: Mapping[str, Any] | None = None) -> BasePruner:
    """Build `none`, `median` or `hyperband` with optuna's own keyword arguments."""
    import optuna

    classes = {
        "none": optuna.pruners.NopPruner,
        "median": optuna.pruners.MedianPruner,
        "hyperband": optuna.pruners.HyperbandPruner,
    }
    key = "none" if name is None else str(name).lower()
    if key not in classes:
        raise ConfigError("hydra.sweeper.pruner", name, f"one of {', '.join(PRUNERS)}")
    kwargs = dict(args or {})
    try:
        return classes[key](**kwargs)
    except (TypeError, ValueError) as error:
        allowed = f"keyword arguments of optuna.pruners.{classes[key].__name__} ({error})"
        raise ConfigError("hydra.sweeper.pruner_args", kwargs, allowed) from error
