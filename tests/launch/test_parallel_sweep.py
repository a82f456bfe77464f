"""`hyperpeft -m +sweep=compacter_rank` with two trials at a time on submitit's local executor:
six trials of tiny-bert jobs, each in a process of its own, one of them refused by the method
(a phm_dim of 4 does not divide the bottleneck of 64 / 32 = 2) and recorded as failed; the same
command again finds the study full and runs nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from tests.helpers.commands import HYPERPEFT, run_command

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]

STUDY = "compacter_rank"
SWEEP = (
    "-m",
    f"+sweep={STUDY}",
    "hydra/launcher=local",
    "hydra.sweeper.n_jobs=2",
    "hydra.sweeper.n_trials=6",
    "hydra.sweeper.sampler=grid",
    "method.reduction_factor=choice(8,16,32)",  # bottlenecks 8, 4, 2 of tiny-bert's 64
    "method.phm_dim=choice(2,4)",
    "method.phm_rank=1",
    "model=tiny-bert",
    "task=rte",
    "trainer.max_steps=2",
    "trainer.eval_every=2",
    "trainer.batch_size=4",
    "trainer.eval_batch_size=16",
    "data.max_train_examples=16",
    "data.max_eval_examples=16",
)


def _trials(root: Path) -> list[optuna.trial.FrozenTrial]:
    storage = f"sqlite:///{root / 'outputs' / 'optuna' / f'{STUDY}.db'}"
    return optuna.load_study(study_name=STUDY, storage=storage).get_trials()


def test_six_trials_two_at_a_time_with_one_refused_by_the_method(tmp_path):
    done = run_command(HYPERPEFT, *SWEEP, cwd=tmp_path, timeout=800)
    assert done.returncode == 0, done.stderr[-3000:]
    trials = _trials(tmp_path)
    assert len(trials) == 6 and all(t.state.is_finished() for t in trials)
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert [t.params for t in failed] == [{"method.reduction_factor": 32, "method.phm_dim": 4}]
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
    assert [(t.number, t.state) for t in _trials(tmp_path)] == [(t.number, t.state) for t in trials]
    newest = max((tmp_path / "outputs" / "multirun").iterdir())
    assert not list(newest.glob("*_compacter_rte")), "a trial ran again"
