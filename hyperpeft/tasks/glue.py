"""The eight GLUE tasks, read from the official tsv files or from the hub's `nyu-mll/glue`.

Rows use the hub's field names. Labels are class indices in the hub's `ClassLabel` order, which
is also what the tsv files' 0/1 labels mean (CoLA 1 = acceptable, MRPC 1 = equivalent, ...).
Rows whose gold label is "-" (no annotator majority, as in the raw MultiNLI release) are skipped.
The tasks are defined (and so registered) in the papers' order, the order of the glue mixture.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from hyperpeft.tasks.base import EncoderExample, OfficialData, Row, TextToTextExample
from hyperpeft.tasks.benchmark import BenchmarkTask
from hyperpeft.tasks.head import Head
from hyperpeft.tasks.metrics import accuracy
from hyperpeft.tasks.readers import read_delimited
from hyperpeft.tasks.registry import register_task
from hyperpeft.tasks.rows import RowError, int_field, label_index, number_label, text_field

NO_GOLD_LABEL = "-"


class GlueTask(BenchmarkTask):
    """A GLUE task: `columns` maps each text field to its tsv column, `label_column` the label."""

    benchmark = "glue"
    hub_path = "nyu-mll/glue"
    folder: ClassVar[str]
    columns: ClassVar[dict[str, str]]
    label_column: ClassVar[str] = "label"
    headerless: ClassVar[tuple[str, ...] | None] = None  # column names of a file without header

    @property
    def text_fields(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(self.columns)

    @property
    def local_files(self) -> dict[str, str]:  # type: ignore[override]
        return {
            "train": f"glue/{self.folder}/train.tsv",
            "validation": f"glue/{self.folder}/dev.tsv",
        }

    def read_local(self, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
        needed = (*self.columns.values(), self.label_column) if self.headerless is None else ()
        return read_delimited(path, "\t", quoted=False, columns=self.headerless, required=needed)

    def parse_label(self, value: Any) -> int | float:
        if self.head == Head.REGRESSION:
            return number_label(value)
        return label_index(value, self.label_names)

    def parse_local(self, record: dict[str, Any], position: int) -> list[Row]:
        label = record.get(self.label_column)
        if label is None:
            raise RowError(f"missing field {self.label_column!r}")
        if label.strip() == NO_GOLD_LABEL:
            return []
        row: Row = {"idx": position}
        row.update({name: text_field(record, column) for name, column in self.columns.items()})
        row["label"] = self.parse_label(label)
        return [row]

    def parse_hub(self, record: dict[str, Any], position: int) -> list[Row]:
        row: Row = {"idx": int_field(record, "idx") if "idx" in record else position}
        row.update({name: text_field(record, name) for name in self.columns})
        if record.get("label") is None:
            raise RowError("missing label")
        row["label"] = self.parse_label(record["label"])
        return [row]


@register_task
class Cola(GlueTask):
    name = "cola"
    hub_config = "cola"
    folder = "CoLA"
    headerless = ("source", "label", "original_label", "sentence")
    columns = {"sentence": "sentence"}
    label_names = ["unacceptable", "acceptable"]
    metric_names = ["matthews"]


@register_task
class Sst2(GlueTask):
    name = "sst2"
    hub_config = "sst2"
    folder = "SST-2"
    columns = {"sentence": "sentence"}
    label_names = ["negative", "positive"]
    metric_names = ["accuracy"]


@register_task
class Mrpc(GlueTask):
    name = "mrpc"
    hub_config = "mrpc"
    folder = "MRPC"
    columns = {"sentence1": "#1 String", "sentence2": "#2 String"}
    label_column = "Quality"
    label_names = ["not_equivalent", "equivalent"]
    metric_names = ["f1", "accuracy"]


@register_task
class Qqp(GlueTask):
    name = "qqp"
    hub_config = "qqp"
    folder = "QQP"
    columns = {"question1": "question1", "question2": "question2"}
    label_column = "is_duplicate"
    label_names = ["not_duplicate", "duplicate"]
    metric_names = ["f1", "accuracy"]


@register_task
class Stsb(GlueTask):
    """Regression on a 0-5 similarity; text-to-text targets are rounded to 0.2 ("3.4")."""

    name = "stsb"
    hub_config = "stsb"
    folder = "STS-B"
    columns = {"sentence1": "sentence1", "sentence2": "sentence2"}
    label_column = "score"
    head = Head.REGRESSION
    target_step = 0.2
    metric_names = ["pearson", "spearman"]


@register_task
class Mnli(GlueTask):
    """MNLI reports on both official validation sets: its `test` split holds the matched rows,
    then the mismatched ones, each tagged `subset` ("matched" / "mismatched", also in the
    examples' `meta`). On such examples `compute_metrics` gives `accuracy_matched`,
    `accuracy_mismatched` and `accuracy`, their mean (the scored metric; a subset absent from
    the examples is left out); on the held-out `validation` rows (no subset) just `accuracy`."""

    name = "mnli"
    hub_config = "mnli"
    folder = "MNLI"
    columns = {"premise": "sentence1", "hypothesis": "sentence2"}
    label_column = "gold_label"
    label_names = ["entailment", "neutral", "contradiction"]
    metric_names = ["accuracy"]
    subsets = ("matched", "mismatched")
    hub_splits = {
        "train": "train",
        "validation_matched": "validation_matched",
        "validation_mismatched": "validation_mismatched",
    }

    @property
    def local_files(self) -> dict[str, str]:  # type: ignore[override]
        return {
            "train": "glue/MNLI/train.tsv",
            "validation_matched": "glue/MNLI/dev_matched.tsv",
            "validation_mismatched": "glue/MNLI/dev_mismatched.tsv",
        }

    def assemble(self, rows: dict[str, list[Row]]) -> OfficialData:
        validation = [
            {**row, "subset": subset}
            for subset in self.subsets
            for row in rows[f"validation_{subset}"]
        ]
        return OfficialData(train=rows["train"], validation=validation)

    def meta(self, row: Row) -> dict:
        return {"subset": row["subset"]} if "subset" in row else {}

    def compute_metrics(
        self, predictions: Sequence, examples: Sequence[EncoderExample | TextToTextExample]
    ) -> dict[str, float]:
        results = super().compute_metrics(predictions, examples)
        subsets = [example.meta.get("subset") for example in examples]
        if not any(subsets):
            return results
        guesses = self.coerce(predictions)
        present = [subset for subset in self.subsets if subset in subsets]
        for subset in present:
            chosen = [i for i, name in enumerate(subsets) if name == subset]
            results[f"accuracy_{subset}"] = accuracy(
                [guesses[i] for i in chosen], [examples[i].label for i in chosen]
            )
        results["accuracy"] = sum(results[f"accuracy_{s}"] for s in present) / len(present)
        return results


@register_task
class Qnli(GlueTask):
    name = "qnli"
    hub_config = "qnli"
    folder = "QNLI"
    columns = {"question": "question", "sentence": "sentence"}
    label_names = ["entailment", "not_entailment"]
    metric_names = ["accuracy"]


@register_task
class Rte(GlueTask):
    name = "rte"
    hub_config = "rte"
    folder = "RTE"
    columns = {"sentence1": "sentence1", "sentence2": "sentence2"}
    label_names = ["entailment", "not_entailment"]
    metric_names = ["accuracy"]
