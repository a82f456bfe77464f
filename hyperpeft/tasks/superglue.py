"""The eight SuperGLUE tasks, read from the official jsonl files or the hub's `aps/super_glue`.

Rows follow the hub's flat schema: MultiRC is one row per answer (with `paragraph_idx`,
`question_idx`, `answer_idx`), ReCoRD one row per query (candidate `entities` and gold `answers`
as lists of strings); the nested official jsonl records are flattened to the same rows. WSC reads
the hub config "wsc", the one identical to the official files ("wsc.fixed" edits span texts).
The tasks are defined (and so registered) in the benchmark's order, the order of its mixture.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from hyperpeft.tasks.base import (
    UNKNOWN_CLASS,
    EncoderExample,
    Row,
    TextToTextExample,
    compact,
    prefixed,
)
from hyperpeft.tasks.benchmark import BenchmarkTask
from hyperpeft.tasks.head import Head
from hyperpeft.tasks.metrics import answer_scores, exact_match_by_group, f1
from hyperpeft.tasks.readers import read_jsonl
from hyperpeft.tasks.registry import register_task
from hyperpeft.tasks.rows import RowError, input_text, int_field, label_index, text_field

BOOL_LABELS = ["False", "True"]


class SuperGlueTask(BenchmarkTask):
    """A SuperGLUE task with flat records: `text_fields` and `int_fields` copied, `label` parsed."""

    benchmark = "superglue"
    hub_path = "aps/super_glue"
    folder: ClassVar[str]
    int_fields: ClassVar[tuple[str, ...]] = ()

    @property
    def local_files(self) -> dict[str, str]:  # type: ignore[override]
        base = f"superglue/{self.folder}"
        return {"train": f"{base}/train.jsonl", "validation": f"{base}/val.jsonl"}

    def read_local(self, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
        return read_jsonl(path)

    def parse_flat(self, record: dict[str, Any], position: int) -> list[Row]:
        row: Row = {"idx": int_field(record, "idx") if "idx" in record else position}
        row.update({name: text_field(record, name) for name in self.text_fields})
        row.update({name: int_field(record, name) for name in self.int_fields})
        row["label"] = label_index(record.get("label"), self.label_names)
        return [row]

    def parse_local(self, record: dict[str, Any], position: int) -> list[Row]:
        return self.parse_flat(record, position)

    def parse_hub(self, record: dict[str, Any], position: int) -> list[Row]:
        return self.parse_flat(record, position)


@register_task
class BoolQ(SuperGlueTask):
    name = "boolq"
    hub_config = "boolq"
    folder = "BoolQ"
    text_fields = ("question", "passage")
    label_names = BOOL_LABELS
    metric_names = ["accuracy"]


@register_task
class CB(SuperGlueTask):
    name = "cb"
    hub_config = "cb"
    folder = "CB"
    text_fields = ("premise", "hypothesis")
    label_names = ["entailment", "contradiction", "neutral"]
    metric_names = ["macro_f1", "accuracy"]


@register_task
class Copa(SuperGlueTask):
    """Two-way multiple choice: which choice is the premise's cause (or effect)?

    Text-to-text targets are the hub's label names "choice1" / "choice2"."""

    name = "copa"
    hub_config = "copa"
    folder = "COPA"
    head = Head.MULTIPLE_CHOICE
    text_fields = ("premise", "question", "choice1", "choice2")
    choice_names = ("choice1", "choice2")
    metric_names = ["accuracy"]
    label_names = None

    @property
    def max_target_tokens(self) -> int:
        return len("choice1") + 2

    def parse_flat(self, record: dict[str, Any], position: int) -> list[Row]:
        row: Row = {"idx": int_field(record, "idx") if "idx" in record else position}
        row.update({name: text_field(record, name) for name in self.text_fields})
        row["label"] = label_index(record.get("label"), self.choice_names)
        return [row]

    def encoder_example(self, row: Row) -> EncoderExample:
        context = f"{row['premise']} What was the {row['question']} of this?"
        texts = [(context, row[name]) for name in self.choice_names]
        return EncoderExample(texts, self.gold(row))

    def target_text(self, row: Row) -> str:
        return self.choice_names[row["label"]]

    def parse_prediction(self, text: str) -> int:
        key = compact(text) if text is not None else None
        return self.choice_names.index(key) if key in self.choice_names else UNKNOWN_CLASS


@register_task
class MultiRC(SuperGlueTask):
    """One binary row per (question, answer); examples are grouped by question, so `em` counts
    questions whose answers are all right and `f1a` is the F1 over all answers. Splits keep a
    paragraph (and so all its questions) in one split."""

    name = "multirc"
    hub_config = "multirc"
    folder = "MultiRC"
    text_fields = ("question", "answer", "paragraph")
    label_names = BOOL_LABELS
    metric_names = ["f1a", "em"]

    def parse_local(self, record: dict[str, Any], position: int) -> list[Row]:
        passage = record.get("passage")
        if not isinstance(passage, dict) or not isinstance(passage.get("questions"), list):
            raise RowError("missing field 'passage' with 'text' and 'questions'")
        paragraph = text_field(passage, "text")
        paragraph_idx = int_field(record, "idx")
        rows = []
        for question in passage["questions"]:
            for answer in question.get("answers") or []:
                rows.append(
                    {
                        "paragraph_idx": paragraph_idx,
                        "question_idx": int_field(question, "idx"),
                        "answer_idx": int_field(answer, "idx"),
                        "paragraph": paragraph,
                        "question": text_field(question, "question"),
                        "answer": text_field(answer, "text"),
                        "label": label_index(answer.get("label"), self.label_names),
                    }
                )
        return rows

    def parse_hub(self, record: dict[str, Any], position: int) -> list[Row]:
        idx = record.get("idx")
        if not isinstance(idx, dict):
            raise RowError("missing field 'idx' (paragraph, question, answer)")
        return [
            {
                "paragraph_idx": int_field(idx, "paragraph"),
                "question_idx": int_field(idx, "question"),
                "answer_idx": int_field(idx, "answer"),
                "paragraph": text_field(record, "paragraph"),
                "question": text_field(record, "question"),
                "answer": text_field(record, "answer"),
                "label": label_index(record.get("label"), self.label_names),
            }
        ]

    def input_row(self, record: Mapping[str, Any], position: int) -> Row:
        """Each row to predict on is a question of its own (the group `em` is scored by)."""
        return {**super().input_row(record, position), "paragraph_idx": position, "question_idx": 0}

    def split_group(self, row: Row) -> Hashable:
        return row["paragraph_idx"]

    def group(self, row: Row) -> str:
        return f"{row['paragraph_idx']}-{row['question_idx']}"

    def encoder_example(self, row: Row) -> EncoderExample:
        pair = (f"{row['question']} {row['answer']}", row["paragraph"])
        return EncoderExample([pair], self.gold(row), self.group(row))

    def compute_metrics(
        self, predictions: Sequence, examples: Sequence[EncoderExample | TextToTextExample]
    ) -> dict[str, float]:
        if len(predictions) != len(examples):
            raise ValueError(f"{len(predictions)} predictions for {len(examples)} examples")
        guesses = self.coerce(predictions)
        labels = [example.label for example in examples]
        groups = [example.group for example in examples]
        return {"f1a": f1(guesses, labels), "em": exact_match_by_group(guesses, labels, groups)}


def clean_passage(text: str) -> str:
    """ReCoRD passages end with "@highlight" lines (the article's bullet points)."""
    return text.replace("@highlight\n", "- ")


@register_task
class ReCoRD(SuperGlueTask):
    """Cloze questions over a news passage: which entity fills `@placeholder`?

    Encoder: multiple choice over the passage's candidate entities (a variable number of
    choices), `label` the first right one (-100 if none is: the loss ignores it). Text-to-text:
    the target is the answer's text, and `parse_prediction` returns the generated text itself.
    `compute_metrics` takes either a choice index or a text per example and scores it against
    every gold answer (max over answers of token F1 and exact match, SQuAD normalisation).
    Splits keep a passage (and so all its queries) in one split.
    """

    name = "record"
    hub_config = "record"
    folder = "ReCoRD"
    head = Head.MULTIPLE_CHOICE
    label_names = None
    metric_names = ["f1", "em"]
    no_right_choice = -100

    @property
    def max_target_tokens(self) -> int:
        return 32

    def parse_local(self, record: dict[str, Any], position: int) -> list[Row]:
        passage = record.get("passage")
        if not isinstance(passage, dict) or not isinstance(passage.get("entities"), list):
            raise RowError("missing field 'passage' with 'text' and 'entities'")
        text = text_field(passage, "text")
        spans = [(int_field(span, "start"), int_field(span, "end")) for span in passage["entities"]]
        entities = sorted({text[start : end + 1] for start, end in spans})  # ends are inclusive
        rows = []
        for qa in record.get("qas") or []:
            answers = sorted({text_field(answer, "text") for answer in qa.get("answers") or []})
            rows.append(
                self._row(
                    int_field(record, "idx"), int_field(qa, "idx"), text, qa, entities, answers
                )
            )
        return rows

    def parse_hub(self, record: dict[str, Any], position: int) -> list[Row]:
        idx = record.get("idx")
        if not isinstance(idx, dict):
            raise RowError("missing field 'idx' (passage, query)")
        entities = list(record.get("entities") or [])
        answers = list(record.get("answers") or [])
        return [
            self._row(
                int_field(idx, "passage"),
                int_field(idx, "query"),
                text_field(record, "passage"),
                record,
                entities,
                answers,
            )
        ]

    def _row(
        self,
        passage_idx: int,
        query_idx: int,
        passage: str,
        record: dict[str, Any],
        entities: list[str],
        answers: list[str],
    ) -> Row:
        if not entities:
            raise RowError("no candidate entities")
        if not answers:
            raise RowError("no gold answers")
        return {
            "passage_idx": passage_idx,
            "query_idx": query_idx,
            "passage": passage,
            "query": text_field(record, "query"),
            "entities": entities,
            "answers": answers,
        }

    @property
    def input_fields(self) -> tuple[str, ...]:
        return ("passage", "query", "entities")

    def input_row(self, record: Mapping[str, Any], position: int) -> Row:
        """A query to answer: the passage, the query and the candidate entities (a JSON list of
        strings; in csv or tsv, a JSON array as text); no gold answers."""
        entities = record.get("entities")
        if isinstance(entities, str):
            try:
                entities = json.loads(entities)
            except json.JSONDecodeError:
                entities = None
        if (
            not isinstance(entities, list)
            or not entities
            or not all(isinstance(e, str) for e in entities)
        ):
            raise RowError(
                "field 'entities' should be a non-empty list of strings (in csv or tsv: a JSON "
                f"array), got {record.get('entities')!r}"
            )
        return {
            "passage_idx": position,
            "query_idx": 0,
            "passage": input_text(record, "passage"),
            "query": input_text(record, "query"),
            "entities": list(dict.fromkeys(entities)),
            "answers": [],
        }

    def split_group(self, row: Row) -> Hashable:
        return row["passage_idx"]

    def group(self, row: Row) -> str:
        return f"{row['passage_idx']}-{row['query_idx']}"

    def meta(self, row: Row) -> dict:
        return {"candidates": list(row["entities"]), "answers": list(row["answers"])}

    def right_choice(self, row: Row) -> int:
        answers = set(row["answers"])
        return next(
            (i for i, entity in enumerate(row["entities"]) if entity in answers),
            self.no_right_choice,
        )

    def has_label(self, row: Row) -> bool:
        return bool(row["answers"])

    def gold(self, row: Row) -> int | None:
        return self.right_choice(row) if self.has_label(row) else None

    def encoder_example(self, row: Row) -> EncoderExample:
        passage = clean_passage(row["passage"])
        texts = [
            (row["query"].replace("@placeholder", entity), passage) for entity in row["entities"]
        ]
        return EncoderExample(texts, self.gold(row), self.group(row), self.meta(row))

    def source_text(self, row: Row) -> str:
        fields = [
            ("query", row["query"]),
            ("entities", ", ".join(row["entities"])),
            ("passage", clean_passage(row["passage"])),
        ]
        return prefixed(self.name, fields)

    def target_text(self, row: Row) -> str:
        return row["answers"][0]

    def parse_prediction(self, text: str) -> str:
        return "" if text is None else " ".join(str(text).split())

    def compute_metrics(
        self, predictions: Sequence, examples: Sequence[EncoderExample | TextToTextExample]
    ) -> dict[str, float]:
        if len(predictions) != len(examples):
            raise ValueError(f"{len(predictions)} predictions for {len(examples)} examples")
        if not examples:
            return {"f1": 0.0, "em": 0.0}
        total_f1 = total_em = 0.0
        for prediction, example in zip(predictions, examples, strict=True):
            candidates = example.meta["candidates"]
            if isinstance(prediction, str):
                text = prediction
            elif prediction is not None and 0 <= int(prediction) < len(candidates):
                text = candidates[int(prediction)]
            else:
                text = ""
            score_f1, score_em = answer_scores(text, example.meta["answers"])
            total_f1 += score_f1
            total_em += score_em
        return {"f1": total_f1 / len(examples), "em": total_em / len(examples)}


@register_task
class SuperGlueRte(SuperGlueTask):
    name = "superglue-rte"
    hub_config = "rte"
    folder = "RTE"
    text_fields = ("premise", "hypothesis")
    label_names = ["entailment", "not_entailment"]
    metric_names = ["accuracy"]


@register_task
class WiC(SuperGlueTask):
    """Does `word` mean the same in both sentences? The encoder sees "word: sentence1"."""

    name = "wic"
    hub_config = "wic"
    folder = "WiC"
    text_fields = ("word", "sentence1", "sentence2")
    int_fields = ("start1", "end1", "start2", "end2")
    label_names = BOOL_LABELS
    metric_names = ["accuracy"]

    def encoder_example(self, row: Row) -> EncoderExample:
        first = f"{row['word']}: {row['sentence1']}"
        return EncoderExample([(first, row["sentence2"])], self.gold(row))


@register_task
class WSC(SuperGlueTask):
    """Does the pronoun `span2_text` refer to `span1_text`?"""

    name = "wsc"
    hub_config = "wsc"
    folder = "WSC"
    text_fields = ("text", "span1_text", "span2_text")
    int_fields = ("span1_index", "span2_index")
    label_names = BOOL_LABELS
    metric_names = ["accuracy"]

    def parse_local(self, record: dict[str, Any], position: int) -> list[Row]:
        target = record.get("target")
        if not isinstance(target, dict):
            raise RowError("missing field 'target' (the two spans)")
        return self.parse_flat({**record, **target}, position)

    def encoder_example(self, row: Row) -> EncoderExample:
        question = f'Does "{row["span2_text"]}" refer to "{row["span1_text"]}"?'
        return EncoderExample([(row["text"], question)], self.gold(row))
