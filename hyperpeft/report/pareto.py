"""The Pareto front of score (higher is better) against trainable % (lower is better)."""

from __future__ import annotations

from collections.abc import Sequence

from hyperpeft.results import RunResult


def pareto_front(rows: Sequence[RunResult]) -> list[RunResult]:
    """Runs no other run beats on both axes, from the cheapest to the best-scoring."""
    candidates = [row for row in rows if row.plottable]
    candidates.sort(key=lambda row: (row.trainable_pct, -row.score))  # type: ignore[operator]
    front: list[RunResult] = []
    for row in candidates:
        if not front or row.score > front[-1].score:  # type: ignore[operator]
            front.append(row)
    return front
