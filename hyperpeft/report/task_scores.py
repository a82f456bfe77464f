"""Test scores per task and label: what the per-task panels and the method x task table show.

A run counts on each of its tasks with that task's test score (`metrics[task]["score"]`; a
single-task run without per-task metrics with its `score`), so a mixture run appears on every
task it trained on. The cost of a point is the trainable % per task (`per_task_pct`: the run's
task-specific parameters plus its shared ones divided by its tasks; for a single-task run, its
trainable %), the one measure that compares a mixture with one run per task.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from hyperpeft.report.labels import run_labels
from hyperpeft.results import RunResult
from hyperpeft.tasks import TASK_NAMES


@dataclass(frozen=True)
class Cell:
    """The runs of one label on one task (its seeds), and their test scores on that task."""

    label: str
    task: str
    runs: tuple[RunResult, ...]
    scores: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.scores)

    @property
    def mean(self) -> float:
        return statistics.mean(self.scores)

    @property
    def std(self) -> float:
        """Sample standard deviation over the seeds; 0 for one seed."""
        return statistics.stdev(self.scores) if self.n > 1 else 0.0

    @property
    def per_task_pct(self) -> float:
        return statistics.mean(per_task_pct(row) for row in self.runs)

    @property
    def trainable_pct(self) -> float:
        return statistics.mean(row.trainable_pct for row in self.runs)  # type: ignore[misc]


def per_task_pct(row: RunResult) -> float | None:
    """The run's trainable % per task; its trainable % where the file has no per-task share."""
    return row.per_task_pct if row.per_task_pct is not None else row.trainable_pct


def task_score(row: RunResult, task: str) -> float | None:
    """The run's test score on `task`, None for a dry run or a task without a number."""
    if row.dry_run or task not in row.tasks:
        return None
    metrics = row.metrics.get(task) or {}
    score = metrics.get("score")
    if isinstance(score, (int, float)) and not isinstance(score, bool) and score == score:
        return float(score)
    return row.score if len(row.tasks) == 1 else None


def _comparable(row: RunResult) -> bool:
    cost = per_task_pct(row)
    return not row.dry_run and row.trainable_pct is not None and cost is not None and cost > 0


def task_cells(rows: Sequence[RunResult]) -> dict[str, dict[str, Cell]]:
    """label -> task -> Cell, for the trained runs with a positive trainable share (plots use
    a log axis)."""
    trained = [row for row in rows if _comparable(row)]
    labels = run_labels(trained)
    grouped: dict[str, dict[str, list[tuple[RunResult, float]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for row in trained:
        for task in row.tasks:
            score = task_score(row, task)
            if score is not None:
                grouped[labels[id(row)]][task].append((row, score))
    return {
        label: {
            task: Cell(
                label,
                task,
                tuple(row for row, _ in pairs),
                tuple(score for _, score in pairs),
            )
            for task, pairs in by_task.items()
        }
        for label, by_task in grouped.items()
    }


def task_order(cells: dict[str, dict[str, Cell]]) -> list[str]:
    """Every task any label ran, in the benchmarks' order (GLUE, then SuperGLUE); custom tasks
    after them by name."""
    tasks = {task for by_task in cells.values() for task in by_task}
    known = {name: index for index, name in enumerate(TASK_NAMES)}
    return sorted(tasks, key=lambda task: (known.get(task, len(known)), task))


def common_tasks(cells: dict[str, dict[str, Cell]]) -> list[str]:
    """The tasks every label ran: the only ones a mean across labels may average over."""
    tasks = task_order(cells)
    return [task for task in tasks if all(task in by_task for by_task in cells.values())]


@dataclass(frozen=True)
class MeanOverTasks:
    """One label's mean test score over some tasks: the mean of its per-task means, and the
    spread of that mean over the seeds that ran every one of those tasks."""

    label: str
    tasks: tuple[str, ...]
    mean: float
    seed_means: tuple[float, ...]
    per_task_pct: float
    trainable_pct: float

    @property
    def std(self) -> float:
        return statistics.stdev(self.seed_means) if len(self.seed_means) > 1 else 0.0

    @property
    def n(self) -> int:
        return len(self.seed_means)


def mean_over_tasks(by_task: dict[str, Cell], tasks: Sequence[str]) -> MeanOverTasks:
    chosen = [by_task[task] for task in tasks]
    per_seed: dict[object, dict[str, float]] = defaultdict(dict)
    for cell in chosen:
        for row, score in zip(cell.runs, cell.scores, strict=True):
            per_seed[row.seed][cell.task] = score
    seed_means = tuple(
        statistics.mean(scores.values())
        for scores in per_seed.values()
        if len(scores) == len(chosen)
    )
    return MeanOverTasks(
        label=chosen[0].label,
        tasks=tuple(tasks),
        mean=statistics.mean(cell.mean for cell in chosen),
        seed_means=seed_means,
        per_task_pct=statistics.mean(cell.per_task_pct for cell in chosen),
        trainable_pct=statistics.mean(cell.trainable_pct for cell in chosen),
    )
