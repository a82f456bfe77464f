"""From Hydra override expressions to Optuna distributions.

Hydra's own override parser reads the expressions (`choice(1,2,4)`, `range(8,65,8)`,
`interval(1e-4,1e-2)`, `int(interval(8,64))`, `tag(log, ...)`); this module decides what each one
means to Optuna. Keys that are not sweeps are fixed overrides passed unchanged to every trial.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, Override, RangeSweep
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from hyperpeft.errors import ConfigError
from hyperpeft.sweeps.trial import hydra_literal

KNOWN_TAGS = {"log"}
CATEGORICAL_TYPES = (str, int, float, bool, type(None))


@dataclass
class SearchSpace:
    """The sampled keys (with their override prefix) and the fixed overrides of every trial."""

    distributions: dict[str, BaseDistribution] = field(default_factory=dict)
    key_elements: dict[str, str] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_overrides(cls, overrides: Sequence[Override]) -> SearchSpace:
        """Later overrides of the same key win, so the command line beats the sweep file."""
        space = cls()
        for override in overrides:
            key = override.key_or_group
            space.distributions.pop(key, None)
            space.key_elements.pop(key, None)
            space.fixed.pop(key, None)
            if override.is_sweep_override():
                space.distributions[key] = to_distribution(override)
                space.key_elements[key] = override.get_key_element()
            else:
                space.fixed[key] = override.input_line or (
                    f"{override.get_key_element()}={override.get_value_element_as_str()}"
                )
        return space

    def overrides_for(self, params: Mapping[str, Any]) -> list[str]:
        """The job's overrides: the fixed ones, then one `key=value` per sampled parameter."""
        sampled = [f"{self.key_elements[k]}={hydra_literal(params[k])}" for k in self.distributions]
        return [*self.fixed.values(), *sampled]

    def grid(self) -> dict[str, list[Any]]:
        """Every value of every key, for the grid sampler; continuous intervals have none."""
        grid: dict[str, list[Any]] = {}
        for key, dist in self.distributions.items():
            if isinstance(dist, CategoricalDistribution):
                grid[key] = list(dist.choices)
            elif isinstance(dist, (IntDistribution, FloatDistribution)) and dist.step is not None:
                count = round((dist.high - dist.low) / dist.step) + 1
                grid[key] = [_round(dist.low + i * dist.step) for i in range(count)]
            else:
                allowed = "choice(...) or range(...) with the grid sampler"
                raise ConfigError(f"hydra.sweeper.params.{key}", repr(dist), allowed)
        return grid


def to_distribution(override: Override) -> BaseDistribution:
    """Map one sweep override to the Optuna distribution it describes."""
    key = f"hydra.sweeper.params.{override.key_or_group}"
    text = override.get_value_string() if override.input_line else str(override.value())
    value = override.value()
    tags = set(getattr(value, "tags", set()))
    if tags - KNOWN_TAGS:
        raise ConfigError(key, text, f"tags among {sorted(KNOWN_TAGS)}")
    log = "log" in tags
    try:
        if isinstance(value, ChoiceSweep):
            return _categorical(key, text, value, log)
        if isinstance(value, RangeSweep):
            return _range(value, log)
        if isinstance(value, IntervalSweep):
            return _interval(value, log)
    except ValueError as error:  # optuna's own checks, e.g. log scale with a step
        raise ConfigError(key, text, str(error)) from error
    allowed = "choice(...), a,b,c, range(start,stop[,step]) or [int(]interval(low,high)[)]"
    raise ConfigError(key, text, allowed)


def _categorical(key: str, text: str, sweep: ChoiceSweep, log: bool) -> BaseDistribution:
    if log:
        raise ConfigError(key, text, "tag(log, ...) on range(...) or interval(...), not a choice")
    if not all(isinstance(choice, CATEGORICAL_TYPES) for choice in sweep.list):
        raise ConfigError(key, text, "choices that are numbers, strings, booleans or null")
    return CategoricalDistribution(sweep.list)


def _range(sweep: RangeSweep, log: bool) -> BaseDistribution:
    values = sorted(sweep.range())
    if not values:
        raise ValueError("range(start, stop, step) holds no value")
    step = abs(sweep.step)
    if all(isinstance(v, int) for v in (sweep.start, sweep.stop, sweep.step)):
        return IntDistribution(values[0], values[-1], log=log, step=step)
    return FloatDistribution(values[0], values[-1], log=log, step=step)


def _interval(sweep: IntervalSweep, log: bool) -> BaseDistribution:
    if isinstance(sweep.start, int) and isinstance(sweep.end, int):
        return IntDistribution(sweep.start, sweep.end, log=log)
    return FloatDistribution(float(sweep.start), float(sweep.end), log=log)


def _round(value: float) -> float:
    """Grid points of a float range without the binary noise of repeated additions."""
    return value if isinstance(value, int) else round(value, 12)
