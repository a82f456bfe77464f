"""The Optuna sweeper end to end through Hydra's `-m`, on a stand-in app (tests/sweeps/app)."""

from __future__ import annotations

import signal
import statistics
import subprocess
import time

import pytest
import yaml
from optuna.trial import TrialState

from tests.helpers.sweeps import app_command, app_env, expected_score, load_study, read_log

pytestmark = pytest.mark.timeout(300)


def test_sweep_stores_trials_and_a_rerun_resumes(run_sweep, tmp_path):
    run_sweep("+sweep=basic", "hydra.sweeper.n_trials=3")
    study = load_study(tmp_path, "basic")
    first = [(t.number, t.state, dict(t.params), t.value) for t in study.trials]
    assert [number for number, *_ in first] == [0, 1, 2]
    for _, state, params, value in first:
        assert state == TrialState.COMPLETE
        assert value == pytest.approx(expected_score(params["x"], params["y"]))
    summary = yaml.safe_load((tmp_path / "multirun/sweep/optimization_results.yaml").read_text())
    assert summary["best_trial"] == study.best_trial.number
    assert summary["best_value"] == pytest.approx(study.best_value)

    # The same command again: the study already holds n_trials, so no job runs.
    run_sweep("+sweep=basic", "hydra.sweeper.n_trials=3")
    assert len(load_study(tmp_path, "basic").trials) == 3
    assert len(read_log(tmp_path / "log.jsonl")) == 3

    # A larger budget continues the same study where it stopped.
    run_sweep("+sweep=basic", "hydra.sweeper.n_trials=5")
    resumed = load_study(tmp_path, "basic").trials
    assert [t.number for t in resumed] == [0, 1, 2, 3, 4]
    assert [(t.number, t.state, dict(t.params), t.value) for t in resumed[:3]] == first
    assert sorted(entry["trial"] for entry in read_log(tmp_path / "log.jsonl")) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("kind", ["runtime", "config"])
def test_a_failing_trial_is_recorded_failed_and_the_study_goes_on(run_sweep, tmp_path, kind):
    done = run_sweep(
        "+sweep=basic",
        "hydra.sweeper.sampler=grid",
        "x=choice(1,2,3)",
        "y=0",
        "fail_on=2",
        f"fail_with={kind}",
    )
    assert done.returncode == 0
    # A bug shows its traceback; bad input (a combination the method refuses) one line.
    assert ("Traceback" in done.stdout + done.stderr) == (kind == "runtime")
    trials = load_study(tmp_path, "basic").trials
    states = {t.params["x"]: t.state for t in trials}
    assert states == {1: TrialState.COMPLETE, 2: TrialState.FAIL, 3: TrialState.COMPLETE}
    failed = next(t for t in trials if t.state == TrialState.FAIL)
    assert "asked to fail on x=2" in failed.user_attrs["error"]
    assert failed.number < max(t.number for t in trials)  # later trials still ran
    assert sorted(entry["x"] for entry in read_log(tmp_path / "log.jsonl")) == [1, 3]


def test_pruning_stops_trials_below_the_median(run_sweep, tmp_path):
    steps = 4
    run_sweep(
        "hydra/sweeper=optuna",
        "hydra.sweeper.study_name=pruned",
        "hydra.sweeper.sampler=grid",
        "hydra.sweeper.seed=0",
        "hydra.sweeper.pruner=median",
        "+hydra.sweeper.pruner_args.n_startup_trials=2",
        "x=choice(1,2,3,4,5,6)",
        f"steps={steps}",
    )
    trials = sorted(load_study(tmp_path, "pruned").trials, key=lambda t: t.datetime_complete)
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    assert pruned, "the median pruner stopped no trial"
    ran_to_the_end = {entry["trial"] for entry in read_log(tmp_path / "log.jsonl")}
    for trial in trials:
        if trial.state == TrialState.COMPLETE:
            assert len(trial.intermediate_values) == steps
            assert trial.number in ran_to_the_end
    for trial in pruned:
        assert trial.number not in ran_to_the_end
        step, value = max(trial.intermediate_values.items())
        assert step < steps - 1
        earlier = [
            t.intermediate_values[step]
            for t in trials
            if t.state == TrialState.COMPLETE and t.datetime_complete < trial.datetime_start
        ]
        assert value < statistics.median(earlier)


@pytest.mark.parametrize("storage", ["journal", "sqlite"])
def test_two_workers_share_one_study(tmp_path, storage):
    n_trials = 8
    log_file = tmp_path / "log.jsonl"
    workers = [
        subprocess.Popen(
            app_command(
                "+sweep=basic",
                f"hydra.sweeper.storage={storage}",
                f"hydra.sweeper.n_trials={n_trials}",
                f"hydra.sweep.dir=multirun/worker{i}",
                "sleep_s=0.05",
                f"log_file={log_file}",
            ),
            cwd=tmp_path,
            env=app_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    for worker in workers:
        _, stderr = worker.communicate(timeout=300)
        assert worker.returncode == 0, stderr[-4000:]

    runs = read_log(log_file)
    assert sorted(entry["trial"] for entry in runs) == list(
        range(n_trials)
    )  # none lost, none twice
    assert len({entry["pid"] for entry in runs}) == 2  # both workers took trials
    trials = load_study(tmp_path, "basic", storage).trials
    assert all(t.state != TrialState.RUNNING for t in trials)
    for trial in trials:
        if trial.number < n_trials:
            assert trial.state == TrialState.COMPLETE
        else:  # asked in a race for the last slot, handed back without running
            assert trial.state == TrialState.FAIL and trial.user_attrs["surplus"]


def test_two_objectives_give_the_pareto_front(run_sweep, tmp_path):
    run_sweep(
        "+sweep=basic",
        "hydra.sweeper.sampler=grid",
        "hydra.sweeper.n_trials=10",
        "hydra.sweeper.objectives=[score,trainable]",
        "hydra.sweeper.direction=[maximize,minimize]",
        "x=choice(5,6)",
        "y=choice(0,1,2)",
    )
    study = load_study(tmp_path, "basic")
    assert len(study.trials) == 6
    # More y costs more parameters and scores more; x=6 beats x=5 at the same cost.
    expected = {t.number for t in study.trials if t.params["x"] == 6}
    assert {t.number for t in study.best_trials} == expected
    summary = yaml.safe_load((tmp_path / "multirun/sweep/optimization_results.yaml").read_text())
    assert summary["directions"] == ["maximize", "minimize"]
    front = summary["pareto_front"]
    assert {entry["number"] for entry in front} == expected
    for entry in front:
        x, y = entry["params"]["x"], entry["params"]["y"]
        assert entry["values"]["score"] == pytest.approx(expected_score(x, y))
        assert entry["values"]["trainable"] == pytest.approx(1000 * (y + 1))


def test_bad_search_space_is_a_config_error_before_any_trial(run_sweep, tmp_path):
    done = run_sweep("+sweep=basic", "x=tag(lg,interval(1,2))", check=False)
    assert done.returncode != 0
    assert "hydra.sweeper.params.x" in done.stderr and "tags among" in done.stderr
    assert read_log(tmp_path / "log.jsonl") == []


def test_ctrl_c_leaves_no_running_trial_and_a_rerun_finishes_the_rest(tmp_path):
    log_file = tmp_path / "log.jsonl"
    overrides = ["+sweep=basic", "hydra.sweeper.n_trials=4", "steps=4", f"log_file={log_file}"]
    sweep = subprocess.Popen(
        app_command(*overrides, "sleep_s=0.5"),
        cwd=tmp_path,
        env=app_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not read_log(log_file) and time.monotonic() < deadline:  # trial 0 finished
        time.sleep(0.1)
    time.sleep(0.5)  # well inside trial 1's two seconds
    sweep.send_signal(signal.SIGINT)
    sweep.communicate(timeout=120)
    assert sweep.returncode != 0

    trials = load_study(tmp_path, "basic").trials
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.FAIL]
    assert "KeyboardInterrupt" in trials[1].user_attrs["error"]

    done = subprocess.run(
        app_command(*overrides, "sleep_s=0.0"), cwd=tmp_path, env=app_env(), capture_output=True
    )
    assert done.returncode == 0
    trials = load_study(tmp_path, "basic").trials
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.FAIL] + [
        TrialState.COMPLETE
    ] * 2
    # Trial 1 trained to its end only where the signal landed in a garbage collector's callback,
    # which swallows it (the sweeper then raises it once the job returns); no trial ran twice.
    assert sorted(entry["trial"] for entry in read_log(log_file)) in ([0, 2, 3], [0, 1, 2, 3])
