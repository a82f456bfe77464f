"""The plot's panels: one per task, and one of the mean over the tasks every label ran.

Each panel has its own points (a label's mean test score over its seeds, the seeds' spread and
the runs behind it) and its own Pareto front, so a run of one task never dominates a run of
another. The mean panel is drawn only for two tasks or more in common; with none, it is left
out (a mean over different tasks would compare nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hyperpeft.report.pareto import front_of
from hyperpeft.report.task_scores import common_tasks, mean_over_tasks, task_cells, task_order
from hyperpeft.results import RunResult


@dataclass(frozen=True)
class Point:
    """One label in one panel: x the trainable % per task, y the mean test score."""

    label: str
    per_task_pct: float
    score: float
    std: float
    seeds: int
    runs: tuple[RunResult, ...]
    scores: tuple[float, ...]  # the runs' own scores in this panel (per task); empty on the mean


@dataclass(frozen=True)
class Panel:
    title: str
    tasks: tuple[str, ...]  # one task, or the tasks the mean is over
    points: tuple[Point, ...]
    front: tuple[Point, ...]

    @property
    def is_mean(self) -> bool:
        return len(self.tasks) > 1


def _panel(title: str, tasks: Sequence[str], points: list[Point]) -> Panel:
    front = front_of(points, lambda p: p.per_task_pct, lambda p: p.score)
    return Panel(title, tuple(tasks), tuple(points), tuple(front))


def build_panels(rows: Sequence[RunResult]) -> list[Panel]:
    """A panel per task in first-seen order, then the mean panel when it has two tasks."""
    cells = task_cells(rows)
    panels = []
    for task in task_order(cells):
        points = [
            Point(label, c.per_task_pct, c.mean, c.std, c.n, c.runs, c.scores)
            for label, by_task in cells.items()
            if (c := by_task.get(task)) is not None
        ]
        panels.append(_panel(task, [task], points))
    shared = common_tasks(cells)
    if len(shared) > 1:
        points = []
        for label, by_task in cells.items():
            mean = mean_over_tasks(by_task, shared)
            runs = tuple(run for task in shared for run in by_task[task].runs)
            unique = tuple({id(run): run for run in runs}.values())
            points.append(Point(label, mean.per_task_pct, mean.mean, mean.std, mean.n, unique, ()))
        panels.append(_panel(f"mean over {', '.join(shared)}", shared, points))
    return panels


def front_runs(panels: Sequence[Panel]) -> list[RunResult]:
    """The runs behind the per-task panels' fronts, panel by panel, cheapest first."""
    runs: list[RunResult] = []
    for panel in panels:
        if not panel.is_mean:
            runs += [run for point in panel.front for run in point.runs]
    return runs
