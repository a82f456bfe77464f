"""Test score against trainable % per task (log axis): a panel per task and one of the mean.

Each label keeps its marker and colour in every panel; its point is the mean over its seeds with
the seeds' standard deviation as an error bar, the seeds themselves faint beside it, and each
panel's Pareto front a dashed line through its own points (panels.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from hyperpeft.report.panels import Panel, build_panels
from hyperpeft.results import RunResult

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")
COLUMNS = 3  # panels per row


def write_plot(rows: Sequence[RunResult], path: Path) -> list[Panel]:
    """Save the PNG and return the panels it drew (none when no run is plottable)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = build_panels(rows)
    columns = max(1, min(COLUMNS, len(panels)))
    lines = max(1, math.ceil(len(panels) / columns))
    figure, grid = plt.subplots(
        lines, columns, figsize=(5.2 * columns + 2.5, 4.2 * lines), dpi=110, squeeze=False
    )
    labels = sorted({point.label for panel in panels for point in panel.points})
    colours = plt.get_cmap("tab10" if len(labels) <= 10 else "tab20")
    style = {
        label: {"marker": MARKERS[i % len(MARKERS)], "color": colours(i % colours.N)}
        for i, label in enumerate(labels)
    }
    for axes, panel in zip(grid.flat, panels, strict=False):
        _draw(axes, panel, style)
    for axes in list(grid.flat)[len(panels) :]:
        axes.set_visible(False)
    if not panels:
        axes = grid[0][0]
        axes.set_visible(True)
        axes.text(0.5, 0.5, "no trained runs to plot", ha="center", transform=axes.transAxes)
    else:
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], linestyle="", **look) for look in style.values()]
        handles.append(Line2D([], [], color="black", linewidth=1, linestyle="--"))
        names = [*style, "Pareto front"]
        figure.legend(handles, names, loc="center right", fontsize="small")
    models = sorted({row.model for row in rows if not row.dry_run})
    figure.suptitle(f"{', '.join(models) or '-'}: test score against trainable % per task")
    figure.tight_layout(rect=(0, 0, 1 - 2.3 / (5.2 * columns + 2.5), 0.96))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return panels


def _draw(axes, panel: Panel, style: dict[str, dict]) -> None:
    for point in panel.points:
        look = style[point.label]
        if len(point.scores) > 1:
            axes.scatter(
                [point.per_task_pct] * len(point.scores),
                point.scores,
                marker=look["marker"],
                color=look["color"],
                alpha=0.3,
                s=14,
                zorder=2,
            )
        axes.errorbar(
            [point.per_task_pct],
            [point.score],
            yerr=[point.std] if point.seeds > 1 else None,
            fmt=look["marker"],
            color=look["color"],
            capsize=3,
            zorder=3,
        )
    axes.plot(
        [p.per_task_pct for p in panel.front],
        [p.score for p in panel.front],
        color="black",
        linewidth=1,
        linestyle="--",
        zorder=1,
    )
    axes.set_xscale("log")
    axes.set_title(panel.title, fontsize="medium")
    axes.set_xlabel("trainable % per task (of the backbone, log)")
    axes.set_ylabel("test score (mean over seeds ± std)")
    axes.grid(True, which="both", alpha=0.3)
