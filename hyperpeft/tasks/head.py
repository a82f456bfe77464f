"""What a task's answer is, and so which head, loss and prediction an encoder gives it."""

from __future__ import annotations

from enum import StrEnum


class Head(StrEnum):
    """A task's kind of answer. A `StrEnum`, so configs and checkpoints keep the plain words."""

    CLASSIFICATION = "classification"  # one of `num_labels` classes
    REGRESSION = "regression"  # one number
    MULTIPLE_CHOICE = "multiple_choice"  # one score per choice; the label is the right one's index
