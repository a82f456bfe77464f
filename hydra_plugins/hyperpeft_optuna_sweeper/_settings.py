"""The sweeper's settings, checked once and turned into plain Python values."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omegaconf import OmegaConf

from hyperpeft.errors import ConfigError
from hyperpeft.sweeps.pruners import make_pruner

DIRECTIONS = ("maximize", "minimize")


@dataclass(frozen=True)
class SweepSettings:
    """`hydra.sweeper.*` after validation (see config.OptunaSweeperConf for their meaning)."""

    study_name: str | None
    storage: str | None
    n_trials: int
    n_jobs: int
    sampler: str
    sampler_args: dict[str, Any]
    seed: int | None
    objectives: list[str]
    directions: list[str]
    pruner: str
    pruner_args: dict[str, Any]
    params: dict[str, Any]

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> SweepSettings:
        raw = {key: _plain(value) for key, value in raw.items()}
        objectives = [str(o) for o in raw["objectives"]]
        if not objectives:
            raise ConfigError("hydra.sweeper.objectives", objectives, "at least one returned key")
        pruner = str(raw["pruner"]).lower()
        if len(objectives) > 1 and pruner != "none":
            allowed = "none: Optuna cannot prune multi-objective studies"
            raise ConfigError("hydra.sweeper.pruner", raw["pruner"], allowed)
        make_pruner(pruner, raw["pruner_args"])  # fail before the first trial, not inside it
        return cls(
            study_name=raw["study_name"],
            storage=raw["storage"],
            n_trials=_positive("hydra.sweeper.n_trials", raw["n_trials"]),
            n_jobs=_positive("hydra.sweeper.n_jobs", raw["n_jobs"]),
            sampler=str(raw["sampler"]).lower(),
            sampler_args=dict(raw["sampler_args"] or {}),
            seed=raw["seed"],
            objectives=objectives,
            directions=_directions(raw["direction"], objectives),
            pruner=pruner,
            pruner_args=dict(raw["pruner_args"] or {}),
            params=dict(raw["params"] or {}),
        )


def is_number(value: Any) -> bool:
    """A finite-or-infinite real that Optuna accepts as an objective value (no bools, no NaN)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)


def _plain(value: Any) -> Any:
    return OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value


def _positive(key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(key, value, "a positive integer")
    return value


def _directions(direction: Any, objectives: list[str]) -> list[str]:
    """One direction per objective; a single string applies to a single objective."""
    values = [direction] if isinstance(direction, str) else list(direction)
    values = [str(v).lower() for v in values]
    if len(values) != len(objectives) or any(v not in DIRECTIONS for v in values):
        allowed = f"one of {DIRECTIONS} per objective {objectives}"
        raise ConfigError("hydra.sweeper.direction", direction, allowed)
    return values
