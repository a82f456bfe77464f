"""The sweeper's log names its objectives as the run's summary and the report do."""

from __future__ import annotations

import logging

from hydra_plugins.hyperpeft_optuna_sweeper._results import write_summary
from hyperpeft.results import RunResult, objective_label


def test_the_objectives_a_run_returns_are_printed_as_validation_and_test_score():
    returned = RunResult("lora", "tiny-bert", ("rte",), 1, score=0.6, validation_score=0.7)
    labels = {objective_label(key): value for key, value in returned.objectives().items()}
    assert labels["validation score"] == 0.7 and labels["test score"] == 0.6


def test_the_best_trial_and_the_front_are_logged_with_those_names(tmp_path, caplog):
    summary = {
        "study_name": "s",
        "storage": f"sqlite:///{tmp_path / 's.db'}",
        "n_trials": 2,
        "states": {"complete": 2},
        "objectives": ["score"],
        "best_trial": 1,
        "best_value": 0.75,
        "best_params": {"x": 1},
        "pareto_front": [{"number": 0, "values": {"score": 0.7, "test_score": 0.6}, "params": {}}],
    }
    with caplog.at_level(logging.INFO):
        write_summary(summary, tmp_path)
    assert "Best trial 1: validation score=0.75" in caplog.text
    assert "trial 0 validation score=0.7, test score=0.6" in caplog.text
