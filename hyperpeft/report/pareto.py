"""The Pareto front of score (higher is better) against trainable % (lower is better)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from hyperpeft.results import RunResult

T = TypeVar("T")


def front_of(
    items: Sequence[T], cost: Callable[[T], float], score: Callable[[T], float]
) -> list[T]:
    """Items no other item beats on both axes, from the cheapest to the best-scoring."""
    ordered = sorted(items, key=lambda item: (cost(item), -score(item)))
    front: list[T] = []
    for item in ordered:
        if not front or score(item) > score(front[-1]):
            front.append(item)
    return front


def pareto_front(rows: Sequence[RunResult]) -> list[RunResult]:
    """Runs no other run beats on test score and trainable %, among the plottable ones. Only
    meaningful for runs of one task: the report draws one front per task (panels.py)."""
    candidates = [row for row in rows if row.plottable]
    return front_of(candidates, lambda row: row.trainable_pct, lambda row: row.score)  # type: ignore[arg-type,return-value]
