"""The method x task table: each label's test score per task, its mean, and its cost.

    from hyperpeft.report.task_table import task_table_markdown
    print(task_table_markdown(rows))   # rows: RunResult, e.g. from hyperpeft.report.collect

Rows are labels (labels.py: method, mixture, transfer, k), columns each task, then the mean over
the tasks the row ran (named when not all), the trainable % and the trainable % per task. A cell
is "mean ± std (n seeds)"; a seed whose score equals answering one class everywhere is flagged
(baseline.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from hyperpeft.report.baseline import scores_one_class
from hyperpeft.report.table import fmt, header_line, table_line
from hyperpeft.report.task_scores import Cell, mean_over_tasks, task_cells, task_order
from hyperpeft.results import RunResult

FLAG = "⚠"
LEGEND = (
    "Test score per task: mean ± sample standard deviation over seeds (n seeds). Mean: the mean "
    "of the row's per-task means over the tasks it ran (listed when not all), ± the standard "
    "deviation over seeds of each seed's mean over those tasks (n: the seeds that ran them all). "
    "Trainable % and per-task % (task-specific plus shared parameters over the tasks, % of the "
    "backbone): the row's mean over its tasks."
)


def _seeds(n: int) -> str:
    return f"{n} seed" if n == 1 else f"{n} seeds"


def _one_class(cell: Cell) -> tuple[int, bool]:
    """(seeds whose score is a single-class answer's, whether every seed could be checked)."""
    verdicts = [
        scores_one_class(row, cell.task, score)
        for row, score in zip(cell.runs, cell.scores, strict=True)
    ]
    return sum(v is True for v in verdicts), all(v is not None for v in verdicts)


def _cell_text(cell: Cell, flagged: int) -> str:
    text = f"{cell.mean:.4f} ± {cell.std:.4f} ({_seeds(cell.n)})"
    if flagged:
        text += f" {FLAG} {flagged}/{cell.n} one class"
    return text


def task_table_markdown(rows: Sequence[RunResult]) -> str:
    """The table, its legend and, where some seeds were flagged or could not be checked, a line
    saying so; "No trained run to compare." when there is nothing to show."""
    cells = task_cells(rows)
    if not cells:
        return "No trained run to compare."
    tasks = task_order(cells)
    lines = [header_line(("Method", *tasks, "Mean", "Trainable %", "Per-task %"))]
    unchecked: set[str] = set()
    any_flag = False
    for label in sorted(cells):
        by_task = cells[label]
        texts = []
        row_flag = False
        for task in tasks:
            cell = by_task.get(task)
            if cell is None:
                texts.append("–")
                continue
            flagged, checked = _one_class(cell)
            if not checked:
                unchecked.add(task)
            row_flag |= flagged > 0
            texts.append(_cell_text(cell, flagged))
        ran = [task for task in tasks if task in by_task]
        mean = mean_over_tasks(by_task, ran)
        mean_text = f"{mean.mean:.4f} ± {mean.std:.4f} ({_seeds(mean.n)})"
        if len(ran) < len(tasks):
            mean_text += f" over {', '.join(ran)}"
        any_flag |= row_flag
        name = f"{label} {FLAG}" if row_flag else label
        costs = (fmt(mean.trainable_pct), fmt(mean.per_task_pct))
        lines.append(table_line((name, *texts, mean_text, *costs)))
    notes = ["", LEGEND]
    if any_flag:
        notes.append(
            f"{FLAG}: seeds whose test score equals that of answering a single class for every "
            "test example (e.g. the majority class), computed from the task's data."
        )
    if unchecked:
        notes.append(
            "Not checked for single-class answers (no data here, a regression or custom task, or "
            f"no seed): {', '.join(sorted(unchecked))}."
        )
    return "\n".join(lines + notes)
