"""Markdown tables of the runs: one row per run, and the mean over seeds per configuration.

Scores are named as everywhere else: the test score (`RunResult.score`, the mean over tasks of the
reported split) and the validation score (`RunResult.validation_score`, model selection's).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from hyperpeft.report.collect import experiment_settings
from hyperpeft.report.panels import Panel
from hyperpeft.results import RunResult

RUN_COLUMNS = (
    "Method",
    "Model",
    "Task(s)",
    "Seed",
    "Test score",
    "Validation score",
    "Trainable %",
    "Per-task %",
    "Trainable",
    "Step time (ms)",
    "Run",
)


def fmt(value: float | int | None, digits: int = 4) -> str:
    """A number for a table cell; a dash where there is none."""
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}g}" if abs(value) < 1e-3 and value != 0 else f"{value:.{digits}f}"


def sort_key(row: RunResult) -> tuple:
    return (row.task_label, row.model, -(row.score if row.score is not None else float("-inf")))


def runs_table(rows: Sequence[RunResult], root: Path) -> str:
    """One line per run, best test score first within each task and model."""
    lines = [header_line(RUN_COLUMNS)]
    for row in sorted(rows, key=sort_key):
        score = "dry run" if row.dry_run else fmt(row.score)
        step_ms = None if row.step_time_s is None else row.step_time_s * 1000
        cells = (
            row.method,
            row.model,
            row.task_label,
            "–" if row.seed is None else str(row.seed),
            score,
            fmt(row.validation_score),
            fmt(row.trainable_pct),
            fmt(row.per_task_pct),
            fmt(row.trainable),
            fmt(step_ms, 1),
            _relative(row.run_dir, root),
        )
        lines.append(table_line(cells))
    return "\n".join(lines)


def means_table(rows: Sequence[RunResult]) -> str:
    """Mean ± standard deviation of the test score over runs that differ only in their seed.

    Runs of one method, model and task(s) with different settings (a sweep's trials) are kept
    apart, and the settings that tell them apart are shown.
    """
    groups: dict[tuple, list[RunResult]] = defaultdict(list)
    for row in rows:
        if not row.dry_run and row.score is not None:
            groups[(row.method, row.model, row.task_label, experiment_settings(row))].append(row)
    varying = _varying_settings(list(groups))
    columns = (
        "Method",
        "Model",
        "Task(s)",
        "Settings",
        "Runs",
        "Test score (mean ± std)",
        "Trainable %",
    )
    lines = [header_line(columns)]

    def order(item: tuple) -> tuple:  # per task(s) and model, methods by name, best mean first
        (method, model, tasks, _), members = item
        return (tasks, model, method, -statistics.mean(m.score for m in members))

    for key, members in sorted(groups.items(), key=order):
        method, model, tasks, settings = key
        scores = [m.score for m in members if m.score is not None]
        spread = statistics.stdev(scores) if len(scores) > 1 else 0.0
        shown = ", ".join(f"{k}={v}" for k, v in settings if k in varying[key[:3]]) or "–"
        cells = (
            method,
            model,
            tasks,
            shown,
            str(len(scores)),
            f"{statistics.mean(scores):.4f} ± {spread:.4f}",
            fmt(members[0].trainable_pct),
        )
        lines.append(table_line(cells))
    return "\n".join(lines)


def _varying_settings(keys: list[tuple]) -> dict[tuple, set[str]]:
    """Per method/model/task(s), the settings whose values differ between its groups."""
    by_label: dict[tuple, list[dict[str, str]]] = defaultdict(list)
    for *label, settings in keys:
        by_label[tuple(label)].append(dict(settings))
    varying = {}
    for label, configs in by_label.items():
        names = set().union(*configs)
        varying[label] = {n for n in names if len({c.get(n) for c in configs}) > 1}
    return varying


def front_table(panels: Sequence[Panel], root: Path) -> str:
    """The points on each panel's Pareto front, panel by panel, cheapest first."""
    columns = ("Method", "Task(s)", "Test score (mean over seeds)", "Seeds", "Per-task %", "Run")
    lines = [header_line(columns)]
    for panel in panels:
        for point in panel.front:
            run = (
                _relative(point.runs[0].run_dir, root)
                if len(point.runs) == 1
                else f"{len(point.runs)} runs"
            )
            cells = (
                point.label,
                panel.title,
                fmt(point.score),
                str(point.seeds),
                fmt(point.per_task_pct),
                run,
            )
            lines.append(table_line(cells))
    return "\n".join(lines)


def header_line(columns: Sequence[str]) -> str:
    return table_line(columns) + "\n" + table_line(["---"] * len(columns))


def table_line(cells: Sequence[str]) -> str:
    return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.resolve())) or "."
    except ValueError:
        return str(path)
