"""The sweeper's settings are a structured config: OmegaConf checks types, `validate` the rest."""

from __future__ import annotations

import pytest

from hydra_plugins.hyperpeft_optuna_sweeper.config import OptunaSweeperConf
from hyperpeft.config import compose_config, typed
from hyperpeft.errors import ConfigError


def settings(**values) -> OptunaSweeperConf:
    return typed(OptunaSweeperConf, values, key="hydra.sweeper")


def test_a_wrong_type_is_refused_as_hydra_composes():
    with pytest.raises(ConfigError) as info:
        compose_config(
            ["hydra/sweeper=optuna", "hydra.sweeper.n_trials=many"], return_hydra_config=True
        )
    assert str(info.value) == "hydra.sweeper.n_trials='many': an integer"


def test_an_unknown_setting_names_the_known_ones():
    with pytest.raises(ConfigError) as info:
        settings(n_trial=3)
    assert info.value.key == "hydra.sweeper.n_trial" and "n_trials" in info.value.allowed


def test_settings_come_back_typed_with_one_direction_per_objective():
    parsed = settings(objectives=["score", "trainable"], direction=["Maximize", "minimize"])
    parsed.validate()
    assert parsed.directions == ["maximize", "minimize"] and parsed.n_trials == 20
    assert settings().directions == ["maximize"]


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"n_trials": 0}, "hydra.sweeper.n_trials"),
        ({"n_jobs": -1}, "hydra.sweeper.n_jobs"),
        ({"objectives": []}, "hydra.sweeper.objectives"),
        ({"direction": "up"}, "hydra.sweeper.direction"),
        ({"objectives": ["score", "trainable"]}, "hydra.sweeper.direction"),
        (
            {"objectives": ["a", "b"], "direction": ["maximize", "minimize"], "pruner": "median"},
            "hydra.sweeper.pruner",
        ),
    ],
)
def test_ranges_and_combinations_are_checked(values, key):
    with pytest.raises(ConfigError) as info:
        settings(**values).validate()
    assert info.value.key == key
