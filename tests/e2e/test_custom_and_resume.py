"""A user's own task from a csv; evaluating a saved checkpoint; resuming an interrupted run."""

from __future__ import annotations

import csv
import json
import random
import signal
import subprocess
import time

import pytest

from tests.helpers.commands import FAST, HYPERPEFT

pytestmark = pytest.mark.e2e


def _write_sentiment_csv(path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    good, bad = ["great", "lovely", "superb", "fine"], ["awful", "dull", "poor", "bad"]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["review", "stars"])
        for _ in range(rows):
            positive = rng.random() < 0.5
            word = rng.choice(good if positive else bad)
            writer.writerow([f"the film was {word} and {rng.choice(good + bad)}", int(positive)])


def test_custom_csv_task_end_to_end(inprocess, tmp_path):
    train, dev = tmp_path / "train.csv", tmp_path / "dev.csv"
    _write_sentiment_csv(train, 80, 0)
    _write_sentiment_csv(dev, 40, 1)
    inprocess(
        "model=tiny-bert",
        "method=full",
        "task=custom",
        "task.tasks=[reviews]",
        f"+task.custom.reviews.train={train}",
        f"+task.custom.reviews.validation={dev}",
        "+task.custom.reviews.text_fields=[review]",
        "+task.custom.reviews.label_field=stars",
        "+task.custom.reviews.label_names=[negative,positive]",
        "+task.custom.reviews.metrics=[accuracy,f1]",
        *FAST,
    )
    metrics = json.loads((tmp_path / "run" / "results.json").read_text())["metrics"]["reviews"]
    assert set(metrics) == {"accuracy", "f1", "score"}
    assert metrics["score"] == pytest.approx((metrics["accuracy"] + metrics["f1"]) / 2)


def test_saved_checkpoint_evaluates_to_the_same_numbers(inprocess, tmp_path):
    inprocess("model=tiny-bert", "method=lora", "task=rte", *FAST)
    inprocess(
        "model=tiny-bert",
        "method=lora",
        "task=rte",
        f"checkpoint={tmp_path / 'run' / 'checkpoint'}",
        *[o for o in FAST if not o.startswith("trainer.max_steps")],
        "trainer.max_steps=0",
        run_dir=tmp_path / "eval",
    )
    trained = json.loads((tmp_path / "run" / "results.json").read_text())
    evaluated = json.loads((tmp_path / "eval" / "results.json").read_text())
    assert evaluated["metrics"] == trained["metrics"]


def test_an_interrupted_run_resumes_to_the_same_result(hyperpeft, tmp_path):
    budget = [o for o in FAST if not o.startswith(("trainer.max_steps", "trainer.eval_every"))]
    budget += ["trainer.max_steps=100", "trainer.eval_every=20", "data.max_eval_examples=8"]
    args = ["model=tiny-bert", "method=full", "task=rte", *budget]
    whole = hyperpeft(*args, run_dir=tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr[-3000:]

    run_dir = tmp_path / "interrupted"
    command = [str(HYPERPEFT), *args, f"hydra.run.dir={run_dir}"]
    process = subprocess.Popen(command, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    resumable = run_dir / "checkpoint" / "last.ckpt"
    deadline = time.monotonic() + 300
    while not resumable.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 130, stderr[-3000:]
    assert "trainer.resume=" in stderr

    resumed = hyperpeft(*args, f"trainer.resume={run_dir}", run_dir=run_dir)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert resumed.results["steps"] == 100
    assert resumed.results["metrics"] == whole.results["metrics"]
    assert resumed.results["validation_score"] == whole.results["validation_score"]
    assert resumed.results["best_step"] == whole.results["best_step"]
