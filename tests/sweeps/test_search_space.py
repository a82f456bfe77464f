"""Hydra override expressions become the Optuna distributions they describe."""

from __future__ import annotations

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from hydra_plugins.hyperpeft_optuna_sweeper._search_space import SearchSpace
from hyperpeft.errors import ConfigError


def space(*overrides: str) -> SearchSpace:
    return SearchSpace.from_overrides(OverridesParser.create().parse_overrides(list(overrides)))


@pytest.mark.parametrize(
    ("expression", "distribution"),
    [
        ("choice(1,2,4)", CategoricalDistribution([1, 2, 4])),
        ("relu,gelu_new", CategoricalDistribution(["relu", "gelu_new"])),
        ("interval(0.0,0.3)", FloatDistribution(0.0, 0.3)),
        ("tag(log, interval(1e-4, 1e-2))", FloatDistribution(1e-4, 1e-2, log=True)),
        ("int(interval(8,64))", IntDistribution(8, 64)),
        ("tag(log, int(interval(1,64)))", IntDistribution(1, 64, log=True)),
        ("range(8,65,8)", IntDistribution(8, 64, step=8)),
        ("range(0.1,0.5,0.1)", FloatDistribution(0.1, 0.4, step=0.1)),
    ],
)
def test_expressions_map_to_optuna_distributions(expression, distribution):
    assert space(f"method.phm_rank={expression}").distributions["method.phm_rank"] == distribution


def test_plain_values_are_fixed_and_the_later_override_wins():
    result = space("method.phm_rank=choice(1,2)", "+sweep=compacter_rank", "method.phm_rank=4")
    assert result.distributions == {}
    assert list(result.fixed.values()) == ["+sweep=compacter_rank", "method.phm_rank=4"]


def test_job_overrides_keep_prefixes_and_types():
    result = space("+sweep=x", "+extra.rate=tag(log,interval(1e-5,1e-3))", "act=choice(relu,'1')")
    overrides = result.overrides_for({"extra.rate": 1e-05, "act": "1"})
    assert overrides == ["+sweep=x", "+extra.rate=1e-05", "act='1'"]
    parsed = OverridesParser.create().parse_overrides(overrides)
    assert [o.value() for o in parsed] == ["x", 1e-05, "1"]  # the string stays a string


def test_grid_lists_every_point_of_discrete_keys():
    grid = space("a=choice(1,2,4)", "b=range(8,33,8)", "c=range(0.1,0.5,0.1)").grid()
    assert grid == {"a": [1, 2, 4], "b": [8, 16, 24, 32], "c": [0.1, 0.2, 0.3, 0.4]}


@pytest.mark.parametrize(
    "expression",
    [
        "tag(lg, interval(1,2))",  # unknown tag
        "tag(log, range(1,9,2))",  # log scale needs step 1
        "tag(log, interval(0,1))",  # log scale needs low > 0
        "tag(log, choice(1,2))",  # log scale on a choice
        "choice([1],[2])",  # lists are not categorical values
        "range(5,1)",  # empty
    ],
)
def test_bad_expressions_are_config_errors_naming_the_key(expression):
    with pytest.raises(ConfigError, match=r"hydra\.sweeper\.params\.a="):
        space(f"a={expression}")


def test_grid_refuses_continuous_intervals():
    with pytest.raises(ConfigError, match="grid"):
        space("a=interval(0.0,1.0)").grid()
