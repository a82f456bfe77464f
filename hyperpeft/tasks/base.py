"""What every task is: examples in two formulations, parsing of generated text, metrics.

The default `Task` is a sentence (or sentence-pair) task: classification over `label_names` or
regression, its text in `text_fields`. Tasks with another shape (multiple choice, per-answer
questions) override the formatting methods; where the data comes from is the business of
subclasses (`BenchmarkTask` for GLUE/SuperGLUE, `CustomTask` for the user's files).

A row is a plain dict (JSON-serialisable, so caches can hash it): the task's fields named as on
the Hugging Face hub, an `idx`, and `label` as a class index, a float, or a choice index. A row to
predict on (`input_row`) has no label: its examples carry `label=None` and no target text.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from hyperpeft.tasks import metrics
from hyperpeft.tasks.head import Head
from hyperpeft.tasks.rows import input_text

Row = dict[str, Any]

UNKNOWN_CLASS = -1  # what an unparseable generated label becomes: never equal to a gold label


@dataclass
class EncoderExample:
    """Input of an encoder with a task head: one (text_a, text_b) pair, or one per choice with
    `label` the index of the right choice."""

    texts: list[tuple[str, str | None]]
    label: int | float | None  # None: a row to predict on
    group: str | None = None
    meta: dict = field(default_factory=dict)


@dataclass
class TextToTextExample:
    """Input and target text of an encoder-decoder; `label` is the gold value in the same space
    as the encoder's label, so both formulations share `compute_metrics`."""

    source: str
    target: str
    label: Any
    group: str | None = None
    meta: dict = field(default_factory=dict)


@dataclass
class Splits:
    train: list[Row]
    validation: list[Row]
    test: list[Row]


@dataclass
class OfficialData:
    """The splits as distributed; `None` where the distribution has no such split."""

    train: list[Row]
    validation: list[Row] | None
    test: list[Row] | None = None


def prefixed(task_name: str, fields: Sequence[tuple[str, str]]) -> str:
    """T5's input format: the task name, then every field after its name."""
    return " ".join([task_name, *(f"{name}: {value}" for name, value in fields)])


def compact(text: str) -> str:
    """A generated label, made comparable: lower case, no whitespace at all (a WordPiece decode
    writes "not_entailment" as "not _ entailment", and "3.4" as "3. 4")."""
    return "".join(str(text).split()).lower()


def format_number(value: float, step: float | None) -> str:
    """A regression target as text: rounded half up to a multiple of `step` (STS-B: 0.2)."""
    if step is None:
        return f"{value:g}"
    decimals = max(0, -math.floor(math.log10(step)))  # 0.2 -> one decimal: "3.4"
    return f"{math.floor(value / step + 0.5) * step:.{decimals}f}"


class Task(ABC):
    """A task: its formats, its metrics and (in subclasses) its data."""

    name: str
    benchmark: ClassVar[str]
    head: Head = Head.CLASSIFICATION
    label_names: list[str] | None = None
    metric_names: list[str] = ["accuracy"]
    text_fields: tuple[str, ...] = ()
    target_step: float | None = None  # regression targets are rounded to this step

    # ---- sizes -------------------------------------------------------------------------------
    @property
    def num_labels(self) -> int:
        if self.head == Head.CLASSIFICATION:
            return len(self.label_names or ())
        return 1

    @property
    def max_target_tokens(self) -> int:
        """A bound on a target's token count: a token covers at least one character, plus room
        for a word-boundary token and the end-of-sequence token."""
        if self.head == Head.REGRESSION:
            return 8 if self.target_step is not None else 16
        return max(len(word) for word in self.label_names or ["x"]) + 2

    # ---- data --------------------------------------------------------------------------------
    @abstractmethod
    def official_data(self, data_dir: str | Path | None) -> OfficialData:
        """The task's rows per official split (`data_dir` None: the Hugging Face hub)."""

    @abstractmethod
    def missing_files(self, data_dir: str | Path | None) -> list[Path]:
        """The files `official_data(data_dir)` would need that do not exist."""

    def data_files(self, data_dir: str | Path | None) -> list[Path]:
        """The files `official_data(data_dir)` reads (none: the data comes from the hub)."""
        return []

    def split_group(self, row: Row) -> Hashable | None:
        """Rows with the same group never end up in two splits (None: every row alone)."""
        return None

    # ---- rows to predict on ------------------------------------------------------------------
    @property
    def input_fields(self) -> tuple[str, ...]:
        """The fields a row to predict on needs (it has no label): the task's text fields."""
        return tuple(self.text_fields)

    def input_row(self, record: Mapping[str, Any], position: int) -> Row:
        """A record to predict on as a row without a label; a `RowError` names a missing field."""
        row: Row = {"idx": position}
        row.update({name: input_text(record, name) for name in self.input_fields})
        return row

    # ---- formats -----------------------------------------------------------------------------
    def meta(self, row: Row) -> dict:
        return {}

    def group(self, row: Row) -> str | None:
        return None

    def has_label(self, row: Row) -> bool:
        """Whether the row holds its answer; rows to predict on (`input_row`) do not."""
        return "label" in row

    def gold(self, row: Row) -> int | float | None:
        """The right answer in the prediction space: class index, number or choice index (None
        for a row without its answer)."""
        return row["label"] if self.has_label(row) else None

    def encoder_example(self, row: Row) -> EncoderExample:
        first = row[self.text_fields[0]]
        second = row[self.text_fields[1]] if len(self.text_fields) > 1 else None
        return EncoderExample([(first, second)], self.gold(row), self.group(row), self.meta(row))

    def source_text(self, row: Row) -> str:
        return prefixed(self.name, [(name, row[name]) for name in self.text_fields])

    def target_text(self, row: Row) -> str:
        if self.head == Head.REGRESSION:
            return format_number(row["label"], self.target_step)
        return self.label_names[row["label"]]

    def text_to_text_example(self, row: Row) -> TextToTextExample:
        return TextToTextExample(
            self.source_text(row),
            self.target_text(row) if self.has_label(row) else "",
            self.gold(row),
            self.group(row),
            self.meta(row),
        )

    def parse_prediction(self, text: str) -> Any:
        """Generated text back to a prediction: a class index (-1 when no label matches) or a
        float (NaN when the text is no number)."""
        if self.head == Head.REGRESSION:
            try:
                value = float(compact(text))
            except (TypeError, ValueError):
                return math.nan
            return value if math.isfinite(value) else math.nan
        words = [compact(word) for word in self.label_names or ()]
        key = compact(text) if text is not None else None
        return words.index(key) if key in words else UNKNOWN_CLASS

    # ---- metrics -----------------------------------------------------------------------------
    def coerce(self, predictions: Sequence) -> list:
        """Predictions as plain numbers (they may come as numpy or torch scalars, or None)."""
        if self.head == Head.REGRESSION:
            return [math.nan if value is None else float(value) for value in predictions]
        return [UNKNOWN_CLASS if value is None else int(value) for value in predictions]

    def compute_metrics(
        self, predictions: Sequence, examples: Sequence[EncoderExample | TextToTextExample]
    ) -> dict[str, float]:
        if len(predictions) != len(examples):
            raise ValueError(f"{len(predictions)} predictions for {len(examples)} examples")
        guesses = self.coerce(predictions)
        labels = [example.label for example in examples]
        return {
            name: metrics.label_metric(name, guesses, labels, self.num_labels)
            for name in self.metric_names
        }

    def score(self, metrics: dict[str, float]) -> float:
        """The task's score: the mean of its metrics."""
        missing = [name for name in self.metric_names if name not in metrics]
        if missing:
            raise KeyError(f"task {self.name}: metrics {missing} missing from {sorted(metrics)}")
        return sum(metrics[name] for name in self.metric_names) / len(self.metric_names)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
