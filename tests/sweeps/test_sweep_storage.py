"""Storage settings resolve to one URL that the sweeper and every trial open alike."""

from __future__ import annotations

import optuna
import pytest

from hyperpeft.errors import ConfigError
from hyperpeft.sweeps import TrialRef, make_pruner, open_storage, resolve_storage
from hyperpeft.sweeps.trial import hydra_literal
from tests.helpers.sweeps import config_from_overrides


def test_defaults_live_under_outputs_optuna_of_the_current_folder(tmp_path):
    db = tmp_path / "outputs" / "optuna" / "s.db"
    assert resolve_storage(None, "s", root=tmp_path) == f"sqlite:///{db}"
    assert resolve_storage("sqlite", "s", root=tmp_path) == f"sqlite:///{db}"
    journal = tmp_path / "outputs" / "optuna" / "s.journal"
    assert resolve_storage("journal", "s", root=tmp_path) == f"journal://{journal}"


def test_relative_paths_become_absolute_and_urls_pass_through(tmp_path):
    assert resolve_storage("sqlite:///a/b.db", "s", root=tmp_path) == f"sqlite:///{tmp_path}/a/b.db"
    assert resolve_storage("journal://j.log", "s", root=tmp_path) == f"journal://{tmp_path}/j.log"
    assert resolve_storage("journal:///abs/j.log", "s", root=tmp_path) == "journal:///abs/j.log"
    url = "postgresql://user@host/db"
    assert resolve_storage(url, "s", root=tmp_path) == url


@pytest.mark.parametrize("storage", ["sqlite:///:memory:", "mystudy.db", "journal://"])
def test_unshareable_or_unknown_storage_is_a_config_error(tmp_path, storage):
    with pytest.raises(ConfigError, match="hydra.sweeper.storage"):
        resolve_storage(storage, "s", root=tmp_path)


@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_a_trial_reopened_from_its_reference_reports_into_the_study(tmp_path, kind):
    url = resolve_storage(kind, "s", root=tmp_path)
    study = optuna.create_study(study_name="s", storage=open_storage(url))
    trial = study.ask()
    ref = TrialRef(url, "s", trial.number, "median", {"n_startup_trials": 0})
    reopened = ref.open()
    reopened.report(0.5, step=3)
    assert study.trials[0].intermediate_values == {3: 0.5}
    assert reopened.study.pruner.__class__ is optuna.pruners.MedianPruner


def test_trial_reference_round_trips_through_hydra_overrides():
    from omegaconf import OmegaConf

    ref = TrialRef("sqlite:////x y/s.db", "learning_rate_compacter++", 7, "hyperband", {"a": 1.5})
    assert TrialRef.from_config(config_from_overrides(ref.to_overrides())) == ref
    assert TrialRef.from_config(OmegaConf.create({"seed": 1})) is None


def test_hydra_literal_keeps_types():
    assert hydra_literal(None) == "null"
    assert hydra_literal(True) == "true"
    assert hydra_literal(3) == "3"
    assert hydra_literal("it's") == '"it\'s"'
    assert hydra_literal({"a": [1, "b"]}) == "{a:[1,'b']}"


def test_pruner_names_and_arguments_are_checked():
    assert isinstance(make_pruner("none"), optuna.pruners.NopPruner)
    assert isinstance(make_pruner("hyperband", {"min_resource": 2}), optuna.pruners.HyperbandPruner)
    with pytest.raises(ConfigError, match="hydra.sweeper.pruner="):
        make_pruner("successive")
    with pytest.raises(ConfigError, match="hydra.sweeper.pruner_args"):
        make_pruner("median", {"n_startup": 1})
