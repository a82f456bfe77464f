"""`hydra/launcher=ray-local` (hydra-ray-launcher, the `ray` extra): the six-trial sweep of
test_parallel_sweep with two trials at a time as tasks of a Ray started on this machine, each
task in a fresh worker process; the trial refused by the method comes back through Ray's
serialisation as the job's ConfigError and is recorded failed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from optuna.trial import TrialState

from tests.helpers.commands import HYPERPEFT, run_command
from tests.helpers.sweeps import REFUSED_TRIAL, TINY_PARALLEL_SWEEP, compacter_trials

pytest.importorskip("ray")
pytest.importorskip("hydra_plugins.hydra_ray_launcher.ray_launcher")

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]

ON_RAY = ("-m", "hydra/launcher=ray-local", *TINY_PARALLEL_SWEEP)
QUIET_RAY = {"RAY_USAGE_STATS_ENABLED": "0"}


def test_six_trials_two_at_a_time_as_ray_tasks(tmp_path):
    done = run_command(HYPERPEFT, *ON_RAY, cwd=tmp_path, env=QUIET_RAY, timeout=800)
    assert done.returncode == 0, done.stderr[-3000:]
    trials = compacter_trials(tmp_path)
    assert len(trials) == 6 and all(t.state.is_finished() for t in trials)
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert [t.params for t in failed] == [REFUSED_TRIAL]
    assert failed[0].user_attrs["error"].startswith("ConfigError: method.phm_dim=4")
    for trial in trials:
        if trial.state == TrialState.COMPLETE:
            results = json.loads(
                (Path(trial.user_attrs["output_dir"]) / "results.json").read_text()
            )
            assert results["validation_score"] == pytest.approx(trial.value)
