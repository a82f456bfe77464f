"""`hyperpeft -m +sweep=compacter_rank` with two trials at a time on submitit's local executor:
six trials of tiny-bert jobs, each in a process of its own, one of them refused by the method
(a phm_dim of 4 does not divide the bottleneck of 64 / 32 = 2) and recorded as failed; the same
command again finds the study full and runs nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from optuna.trial import TrialState

from tests.helpers.commands import HYPERPEFT, run_command
from tests.helpers.sweeps import REFUSED_TRIAL, TINY_PARALLEL_SWEEP, compacter_trials

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]

SWEEP = ("-m", "hydra/launcher=local", *TINY_PARALLEL_SWEEP)


def test_six_trials_two_at_a_time_with_one_refused_by_the_method(tmp_path):
    done = run_command(HYPERPEFT, *SWEEP, cwd=tmp_path, timeout=800)
    assert done.returncode == 0, done.stderr[-3000:]
    trials = compacter_trials(tmp_path)
    assert len(trials) == 6 and all(t.state.is_finished() for t in trials)
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert [t.params for t in failed] == [REFUSED_TRIAL]
    assert failed[0].user_attrs["error"].startswith("ConfigError: method.phm_dim=4")
    for trial in trials:
        if trial.state == TrialState.COMPLETE:  # its own job wrote its results
            results = json.loads(
                (Path(trial.user_attrs["output_dir"]) / "results.json").read_text()
            )
            assert results["validation_score"] == pytest.approx(trial.value)
            assert results["config"]["method"]["phm_dim"] == trial.params["method.phm_dim"]
    (sweep_dir,) = (tmp_path / "outputs" / "multirun").iterdir()
    pids = [p for p in (sweep_dir / ".submitit").iterdir() if p.name.isdigit()]
    assert len(pids) == 6  # one process per trial

    again = run_command(HYPERPEFT, *SWEEP, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert [(t.number, t.state) for t in compacter_trials(tmp_path)] == [
        (t.number, t.state) for t in trials
    ]
    newest = max((tmp_path / "outputs" / "multirun").iterdir())
    assert not list(newest.glob("*_compacter_rte")), "a trial ran again"
