"""The samplers a sweep can name, seeded per trial.

With a fixed seed, a sampler built once per process would make two workers that start together
draw the same parameters for their first trials. Building the sampler for each trial with
`seed + trial.number` keeps a single worker reproducible and parallel workers apart. The grid
sampler is the exception: its seed fixes the grid's order, which every worker must share, and it
picks unvisited points from the storage, so workers stay apart anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler, GridSampler
from optuna.study import Study
from optuna.trial import FrozenTrial, TrialState

from hydra_plugins.hyperpeft_optuna_sweeper._search_space import SearchSpace
from hyperpeft.errors import ConfigError

SAMPLERS = ("tpe", "random", "grid", "nsga2")


class AskTellGridSampler(GridSampler):
    """Grid sampler for ask-and-tell: the sweeper stops when the grid is done.

    Optuna's grid sampler calls `study.stop()` after the last grid point, which only works inside
    `study.optimize`; our loop counts the grid's points itself.
    """

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        return None


class TrialSeededSampler(BaseSampler):
    """Delegates to a sampler rebuilt with `seed + trial.number` at the start of every trial."""

    def __init__(self, build: Callable[[int | None], BaseSampler], seed: int) -> None:
        self._build = build
        self._seed = seed
        self._sampler = build(seed)

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._sampler = self._build(self._seed + trial.number)
        self._sampler.before_trial(study, trial)

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return self._sampler.infer_relative_search_space(study, trial)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return self._sampler.sample_relative(study, trial, search_space)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return self._sampler.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._sampler.after_trial(study, trial, state, values)


def make_sampler(
    name: str, seed: int | None, args: Mapping[str, Any], space: SearchSpace
) -> BaseSampler:
    """Build `tpe`, `random`, `grid` or `nsga2` with optuna's keyword arguments."""
    key = str(name).lower()
    kwargs = dict(args)
    classes: dict[str, Callable[..., BaseSampler]] = {
        "tpe": optuna.samplers.TPESampler,
        "random": optuna.samplers.RandomSampler,
        "nsga2": optuna.samplers.NSGAIISampler,
    }
    if key == "grid":
        classes["grid"] = lambda **kw: AskTellGridSampler(space.grid(), **kw)
    if key not in classes:
        raise ConfigError("hydra.sweeper.sampler", name, f"one of {', '.join(SAMPLERS)}")

    def build(trial_seed: int | None) -> BaseSampler:
        return classes[key](seed=trial_seed, **kwargs)

    try:
        if seed is None or key == "grid":
            return build(seed)
        return TrialSeededSampler(build, int(seed))
    except (TypeError, ValueError) as error:
        raise ConfigError(
            "hydra.sweeper.sampler_args", kwargs, f"{key} arguments ({error})"
        ) from error


def grid_size(space: SearchSpace) -> int:
    """How many distinct trials a grid search has."""
    size = 1
    for values in space.grid().values():
        size *= len(values)
    return size
