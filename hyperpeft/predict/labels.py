"""A prediction as a user reads it: the label's name (or the number), and each class's probability.

Formulations predict in the space of the task's gold labels: a class index, a number, a choice
index, or (ReCoRD written by a text-to-text model) the answer's text. The names of the classes
are the task's label names; those of choices are a multiple-choice task's choice names (COPA's
`choice1`, `choice2`), or the example's own candidates (ReCoRD's entities).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hyperpeft.tasks import Head, Task


@dataclass(frozen=True)
class Prediction:
    """`label` is None when a text-to-text model wrote no label word (or no number)."""

    label: str | float | None
    probabilities: dict[str, float] | None = None

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {"label": self.label}
        if self.probabilities is not None:
            record["probabilities"] = self.probabilities
        return record


def fixed_names(task: Task) -> list[str] | None:
    """The class (or choice) names every prediction of `task` shares; None when they vary
    from row to row (ReCoRD's candidates) or the task is regression."""
    if task.head == Head.CLASSIFICATION:
        return list(task.label_names or ())
    if task.head == Head.MULTIPLE_CHOICE:
        choices = getattr(task, "choice_names", None)
        return list(choices) if choices else None
    return None


def class_names(task: Task, example: Any) -> list[str] | None:
    """The names of one example's classes or choices, in the order of its probabilities."""
    names = fixed_names(task)
    if names is None and task.head == Head.MULTIPLE_CHOICE:
        names = list(example.meta.get("candidates") or ()) or None
    return names


def describe(
    task: Task, example: Any, prediction: Any, probabilities: Sequence[float] | None
) -> Prediction:
    if task.head == Head.REGRESSION:
        value = float(prediction)
        return Prediction(None if math.isnan(value) else value)
    names = class_names(task, example)
    if isinstance(prediction, str):  # an answer written out (ReCoRD, text-to-text)
        label: str | None = prediction
    elif names is not None and 0 <= int(prediction) < len(names):
        label = names[int(prediction)]
    else:
        label = None
    shares = None
    if probabilities is not None and names is not None:
        shares = dict(zip(names, map(float, probabilities), strict=True))
    return Prediction(label, shares)
