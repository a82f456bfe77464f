"""The Optuna sweeper with trials in parallel on submitit's local executor, on the stand-in app
(tests/sweeps/app): `n_jobs` trials asked together run at the same time in processes of their own,
which reach their trials through the shared SQLite storage; failures and pruning decided in those
processes are recorded in the study; Ctrl-C leaves no trial RUNNING and no job behind, and the same
command then finishes the study without running any trial twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from optuna.trial import TrialState

from tests.helpers.sweeps import app_command, app_env, expected_score, load_study, read_log

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

PARALLEL = ("+sweep=basic", "hydra/launcher=submitit_local", "hydra.sweeper.n_jobs=2")


def _sweep(tmp_path, *overrides: str) -> subprocess.CompletedProcess:
    command = app_command(*PARALLEL, f"log_file={tmp_path / 'log.jsonl'}", *overrides)
    return subprocess.run(
        command, cwd=tmp_path, env=app_env(), capture_output=True, text=True, timeout=500
    )


def test_parallel_trials_record_failures_and_prune_from_their_own_processes(tmp_path):
    steps = 4
    done = _sweep(
        tmp_path,
        "hydra.sweeper.sampler=grid",
        "hydra.sweeper.n_trials=6",
        "hydra.sweeper.pruner=median",
        "+hydra.sweeper.pruner_args.n_startup_trials=1",
        "x=choice(1,2,3,4,5,6)",
        "y=0",
        f"steps={steps}",
        "sleep_s=0.2",
        "fail_on=4",
        "fail_with=config",
    )
    assert done.returncode == 0, done.stderr[-4000:]
    trials = load_study(tmp_path, "basic").trials
    assert len(trials) == 6 and all(t.state.is_finished() for t in trials)
    by_x = {t.params["x"]: t for t in trials}
    assert by_x[4].state == TrialState.FAIL
    assert "asked to fail on x=4" in by_x[4].user_attrs["error"]  # the job's ConfigError
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert pruned, "the median pruner stopped no trial"
    for trial in pruned:  # reported by its job through the storage, stopped before the end
        assert trial.intermediate_values and max(trial.intermediate_values) < steps - 1
    for trial in complete:
        assert trial.value == pytest.approx(expected_score(trial.params["x"], 0))
    runs = read_log(tmp_path / "log.jsonl")
    assert sorted(entry["trial"] for entry in runs) == sorted(t.number for t in complete)
    assert len({entry["pid"] for entry in runs}) == len(runs)  # a process per job


def _wait_for(condition, timeout_s: float = 240) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_ctrl_c_fails_the_trials_in_flight_and_the_same_command_finishes_the_study(tmp_path):
    log_file = tmp_path / "log.jsonl"
    budget = ["hydra.sweeper.n_trials=6", "steps=4"]
    # Ctrl-C in a terminal reaches the sweeper and its jobs: the whole process group
    sweep = subprocess.Popen(
        app_command(*PARALLEL, f"log_file={log_file}", *budget, "sleep_s=2"),
        cwd=tmp_path,
        env=app_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    _wait_for(lambda: len(read_log(log_file)) == 2)  # the first batch's jobs finished
    study = load_study(tmp_path, "basic")
    states = [TrialState.COMPLETE] * 2 + [TrialState.RUNNING] * 2
    _wait_for(lambda: [t.state for t in study.get_trials()] == states)  # the second one asked
    time.sleep(2)  # well inside the second batch's eight seconds
    os.killpg(sweep.pid, signal.SIGINT)
    sweep.communicate(timeout=120)
    assert sweep.returncode != 0

    trials = load_study(tmp_path, "basic").trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 2 + [TrialState.FAIL] * 2
    assert all("KeyboardInterrupt" in t.user_attrs["error"] for t in trials[2:])
    time.sleep(3)
    assert len(read_log(log_file)) == 2, "a job of the interrupted batch ran on"

    done = _sweep(tmp_path, *budget, "sleep_s=0")
    assert done.returncode == 0, done.stderr[-4000:]
    trials = load_study(tmp_path, "basic").trials
    states = [t.state for t in trials]
    assert states == [TrialState.COMPLETE] * 2 + [TrialState.FAIL] * 2 + [TrialState.COMPLETE] * 2
    assert sorted(entry["trial"] for entry in read_log(log_file)) == [0, 1, 4, 5]
