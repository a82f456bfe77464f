"""Rows to predict on (no label): every task's `input_row` gives the examples its labelled rows
give, without the answer; training rows keep theirs."""

from __future__ import annotations

import json

import pytest

from hyperpeft.tasks import TASK_NAMES, CustomTask, get_task
from hyperpeft.tasks.rows import RowError

RECORD_ROW = {
    "passage_idx": 3,
    "query_idx": 0,
    "passage": "Ann met Bob in Paris.\n@highlight\nThey talked",
    "query": "@placeholder met Bob.",
    "entities": ["Ann", "Bob", "Paris"],
    "answers": ["Ann"],
}


def labelled_rows(task, data_dir, count=4) -> list[dict]:
    """A few official validation rows of a task; a made-up row where the data folder lacks the
    task's files (QQP, MNLI, QNLI, ReCoRD)."""
    if task.name == "record":
        return [RECORD_ROW]
    path = data_dir / task.local_files.get("validation", "absent")
    if not path.is_file():
        return [{"idx": 0, **{name: f"some {name}" for name in task.text_fields}, "label": 0}]
    records = list(task.read_local(path))[:count]
    return [row for position, (_, r) in enumerate(records) for row in task.parse_local(r, position)]


def as_input(task, row) -> dict:
    """What a user's file holds for this row: the task's input fields, nothing else."""
    return {name: row[name] for name in task.input_fields}


@pytest.mark.parametrize("name", TASK_NAMES)
def test_an_input_row_makes_the_labelled_rows_examples_without_the_answer(name, data_dir):
    task = get_task(name)
    for position, row in enumerate(labelled_rows(task, data_dir)):
        unlabelled = task.input_row(as_input(task, row), position)
        assert not task.has_label(unlabelled) and task.has_label(row)
        encoder, labelled = task.encoder_example(unlabelled), task.encoder_example(row)
        assert encoder.texts == labelled.texts and encoder.label is None
        assert labelled.label is not None
        text, labelled_text = task.text_to_text_example(unlabelled), task.text_to_text_example(row)
        assert text.source == labelled_text.source
        assert text.target == "" and text.label is None and labelled_text.target != ""


def test_a_custom_tasks_input_is_its_configured_text_fields():
    task = CustomTask(
        "reviews",
        {"train": "train.csv", "text_fields": ["review"], "label_field": "stars",
         "label_names": ["bad", "good"]},
    )  # fmt: skip
    row = task.input_row({"review": "Great!", "stars": "ignored", "other": 1}, 0)
    assert row == {"idx": 0, "review": "Great!"}
    assert task.encoder_example(row).texts == [("Great!", None)]
    assert task.input_row({"review": 5}, 1)["review"] == "5"  # a number in jsonl is text
    with pytest.raises(RowError, match="missing field 'review' \\(the row has: text\\)"):
        task.input_row({"text": "Great!"}, 2)


def test_a_missing_or_non_text_field_is_a_row_error():
    task = get_task("rte")
    with pytest.raises(RowError, match="missing field 'sentence2'"):
        task.input_row({"sentence1": "a"}, 0)
    with pytest.raises(RowError, match="field 'sentence2' should be text"):
        task.input_row({"sentence1": "a", "sentence2": ["b"]}, 0)


def test_record_candidates_come_as_a_list_or_as_json_text():
    task = get_task("record")
    record = {name: RECORD_ROW[name] for name in ("passage", "query")}
    from_jsonl = task.input_row({**record, "entities": ["Ann", "Bob", "Ann"]}, 0)
    from_csv = task.input_row({**record, "entities": json.dumps(["Ann", "Bob"])}, 0)
    assert from_jsonl["entities"] == from_csv["entities"] == ["Ann", "Bob"]  # repeats dropped
    assert task.encoder_example(from_csv).meta["candidates"] == ["Ann", "Bob"]
    for bad in ("Ann, Bob", [], [1, 2]):
        with pytest.raises(RowError, match="'entities' should be a non-empty list of strings"):
            task.input_row({**record, "entities": bad}, 0)
