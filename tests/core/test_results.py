"""`RunResult` owns results.json: it reads back what it writes, a dry run's file holds the table
only, and both kinds give the sweeper the same objectives."""

from __future__ import annotations

import json
import math

from hyperpeft.results import RESULTS_FILE, RunResult

PARAMS = {
    "backbone": 1000,
    "trainable": 10,
    "trainable_pct": 1.0,
    "tasks": 2,
    "per_task": 5.0,
    "per_task_pct": 0.5,
    "checkpoint_bytes": 400,
}
TRAINED = RunResult(
    method="compacter",
    model="tiny-bert",
    tasks=("rte", "cb"),
    seed=3,
    params=PARAMS,
    config={"seed": 3, "method": {"name": "compacter"}},
    score=0.55,
    validation_score=0.6,
    best_step=4,
    metrics={"rte": {"accuracy": 0.5, "score": 0.5}, "cb": {"f1": 0.6, "score": 0.6}},
    validation={"rte": {"accuracy": 0.6, "score": 0.6}, "cb": {"f1": 0.6, "score": 0.6}},
    steps=6,
    step_time_s=0.1,
    peak_memory_mb=500.0,
    wall_time_s=12.0,
    task_proportions={"rte": 0.5, "cb": 0.5},
    task_probabilities={"rte": 0.4, "cb": 0.6},
    machine={"cpu": "a CPU", "device": "cpu", "torch": "2.13.0", "threads": 2},
)
DRY = RunResult(
    method="compacter",
    model="t5-base",
    tasks=("rte",),
    seed=3,
    params=PARAMS,
    dry_run=True,
    config={"seed": 3},
    wall_time_s=1.5,
)


def test_a_written_result_reads_back_equal(tmp_path):
    path = TRAINED.write(tmp_path)
    assert path == tmp_path / RESULTS_FILE
    again = RunResult.read(tmp_path)
    assert again == TRAINED and again.run_dir == tmp_path.resolve()


def test_the_file_keeps_its_keys_in_order(tmp_path):
    data = json.loads(TRAINED.write(tmp_path).read_text())
    assert list(data) == [
        "method",
        "model",
        "tasks",
        "seed",
        "params",
        "dry_run",
        "config",
        "score",
        "validation_score",
        "best_step",
        "metrics",
        "validation",
        "steps",
        "step_time_s",
        "peak_memory_mb",
        "wall_time_s",
        "task_proportions",
        "task_probabilities",
        "machine",
    ]
    assert data["tasks"] == ["rte", "cb"]


def test_a_dry_run_writes_the_table_without_training_keys(tmp_path):
    data = json.loads(DRY.write(tmp_path).read_text())
    assert list(data) == [
        "method",
        "model",
        "tasks",
        "seed",
        "params",
        "dry_run",
        "config",
        "wall_time_s",
        "machine",
    ]
    assert RunResult.read(tmp_path) == DRY


def test_dry_and_trained_runs_give_the_same_objectives():
    trained, dry = TRAINED.objectives(), DRY.objectives()
    assert list(trained) == list(dry)
    assert trained["score"] == 0.6 and trained["test_score"] == 0.55  # validation steers sweeps
    assert dry["score"] is None and dry["trainable"] == 10


def test_hand_written_files_are_read_leniently():
    row = RunResult.from_json({"metrics": {"rte": {}}, "score": math.nan, "params": {}})
    assert row.tasks == ("rte",) and row.method == "?"
    assert row.score is None and row.trainable is None and not row.plottable
