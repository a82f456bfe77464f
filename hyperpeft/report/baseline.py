"""Scores of answering one class for every test example: how the table spots a collapsed run.

results.json holds each task's metrics, not its predictions, so a run that predicts the majority
class everywhere cannot be told from its file alone. With the task's data at hand (the run's
`data.dir`, else HYPERPEFT_DATA_DIR) the report rebuilds the run's test split (the same seed and
`data.max_eval_examples`) and scores every single-class answer with the task's own metrics; a
run whose test score equals one of them is flagged. Without the data, or for regression and
custom tasks, nothing is flagged.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from hyperpeft.errors import ConfigError, DataError
from hyperpeft.report.labels import config_value
from hyperpeft.results import RunResult
from hyperpeft.tasks import Head, get_task, load_splits

TOLERANCE = 1e-6  # results.json keeps full floats; this only absorbs rounding


def data_dir_of(row: RunResult) -> str | None:
    """The run's data folder if it is on this machine, else HYPERPEFT_DATA_DIR (None: neither)."""
    for candidate in (config_value(row.config, "data.dir"), os.environ.get("HYPERPEFT_DATA_DIR")):
        if isinstance(candidate, str) and candidate and Path(candidate).is_dir():
            return candidate
    return None


@lru_cache(maxsize=64)
def single_class_scores(
    task_name: str, data_dir: str, seed: int, limit: int | None
) -> tuple[float, ...]:
    """The task score of answering class c for every test example, for each class c the test
    split holds; empty when the task is not a built-in classification task or its data is absent."""
    try:
        task = get_task(task_name)
    except ConfigError:
        return ()
    if task.head == Head.REGRESSION or task.missing_files(data_dir):
        return ()
    try:
        rows = load_splits(task, data_dir, seed).test
    except DataError:
        return ()
    examples = [task.encoder_example(row) for row in rows[:limit] if task.has_label(row)]
    classes = sorted({example.label for example in examples})
    scores = []
    for label in classes:
        metrics = task.compute_metrics([label] * len(examples), examples)
        scores.append(float(task.score(metrics)))
    return tuple(scores)


def scores_one_class(row: RunResult, task: str, score: float) -> bool | None:
    """Whether `score` (the run's test score on `task`) is that of a single-class answer; None
    when it cannot be told (no data, a regression or custom task, no seed)."""
    data_dir = data_dir_of(row)
    limit = config_value(row.config, "data.max_eval_examples")
    if data_dir is None or not isinstance(row.seed, int):
        return None
    baselines = single_class_scores(
        task, data_dir, row.seed, limit if isinstance(limit, int) else None
    )
    if not baselines:
        return None
    return any(abs(score - baseline) <= TOLERANCE for baseline in baselines)
