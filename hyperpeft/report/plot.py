"""Score against trainable % on a log axis: one marker per method, the Pareto front as a line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hyperpeft.report.pareto import pareto_front
from hyperpeft.results import RunResult

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")


def write_plot(rows: Sequence[RunResult], path: Path) -> list[RunResult]:
    """Save the PNG and return the front it drew (empty when nothing is plottable)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = [row for row in rows if row.plottable]
    front = pareto_front(points)
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=120)
    methods = sorted({row.method for row in points})
    for index, method in enumerate(methods):
        mine = [row for row in points if row.method == method]
        axes.scatter(
            [row.trainable_pct for row in mine],
            [row.score for row in mine],
            marker=MARKERS[index % len(MARKERS)],
            label=method,
            alpha=0.85,
            zorder=3,
        )
    if front:
        axes.plot(
            [row.trainable_pct for row in front],
            [row.score for row in front],
            color="black",
            linewidth=1,
            linestyle="--",
            label="Pareto front",
            zorder=2,
        )
    if points:
        axes.set_xscale("log")
        axes.legend(fontsize="small", loc="best")
    else:
        axes.text(0.5, 0.5, "no trained runs to plot", ha="center", transform=axes.transAxes)
    axes.set_xlabel("trainable parameters (% of the backbone, log scale)")
    axes.set_ylabel("test score")
    models = sorted({row.model for row in points})
    tasks = sorted({row.task_label for row in points})
    axes.set_title(f"{', '.join(models) or '-'} on {', '.join(tasks) or '-'}", fontsize="medium")
    axes.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return front
