"""Text-to-text targets and their parsing back: label words, STS-B numbers, unknown text."""

from __future__ import annotations

import math

import pytest

from hyperpeft.tasks import TASK_NAMES, Head, get_task
from hyperpeft.tasks.base import format_number


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3.8, "3.8"),
        (4.75, "4.8"),
        (3.5, "3.6"),
        (3.49, "3.4"),
        (0.09, "0.0"),
        (0.1, "0.2"),
        (5.0, "5.0"),
        (0.0, "0.0"),
    ],
)
def test_stsb_targets_round_to_the_nearest_fifth(value, text):
    assert format_number(value, 0.2) == text
    row = {"idx": 0, "sentence1": "a", "sentence2": "b", "label": value}
    assert get_task("stsb").text_to_text_example(row).target == text


@pytest.mark.parametrize(
    ("text", "value"), [("3.4", 3.4), (" 3.4 ", 3.4), ("3. 4", 3.4), ("5", 5.0), ("0.0", 0.0)]
)
def test_stsb_parses_numbers(text, value):
    assert get_task("stsb").parse_prediction(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "similar", "nan", "inf", "3.4.1", None])
def test_stsb_unparseable_text_is_nan_not_an_error(text):
    assert math.isnan(get_task("stsb").parse_prediction(text))


@pytest.mark.parametrize(
    ("name", "text", "index"),
    [
        ("rte", "not_entailment", 1),
        ("rte", "not _ entailment", 1),  # a WordPiece decode
        ("rte", "Entailment", 0),
        ("cola", "acceptable", 1),
        ("cola", "unacceptable", 0),
        ("mnli", "neutral", 1),
        ("boolq", "true", 1),
        ("wic", "False", 0),
        ("copa", "choice2", 1),
        ("copa", "choice 1", 0),
        ("rte", "maybe", -1),
        ("copa", "choice3", -1),
        ("cb", "", -1),
        ("cb", None, -1),
    ],
)
def test_label_words_parse_back(name, text, index):
    assert get_task(name).parse_prediction(text) == index


@pytest.mark.parametrize("name", [n for n in TASK_NAMES if n not in ("stsb", "record", "copa")])
def test_every_label_word_round_trips(name):
    task = get_task(name)
    for index, word in enumerate(task.label_names):
        assert task.parse_prediction(word) == index
        assert len(word) + 1 <= task.max_target_tokens


def test_record_prediction_is_the_text():
    task = get_task("record")
    assert task.parse_prediction("  Barack   Obama ") == "Barack Obama"
    assert task.parse_prediction(None) == ""
    assert task.max_target_tokens >= 16


def test_encoder_heads_and_sizes():
    assert (get_task("mnli").head, get_task("mnli").num_labels) == ("classification", 3)
    assert (get_task("stsb").head, get_task("stsb").num_labels) == ("regression", 1)
    assert (get_task("copa").head, get_task("copa").num_labels) == ("multiple_choice", 1)
    assert (get_task("record").head, get_task("record").num_labels) == ("multiple_choice", 1)
    assert (get_task("multirc").head, get_task("multirc").num_labels) == ("classification", 2)


def test_record_row_without_a_right_candidate_is_ignored_by_the_loss():
    task = get_task("record")
    row = {
        "passage_idx": 0,
        "query_idx": 0,
        "passage": "text",
        "query": "@placeholder won",
        "entities": ["A", "B"],
        "answers": ["C"],
    }
    assert task.encoder_example(row).label == -100


def test_head_kinds_are_an_enum_that_reads_as_the_words():
    assert get_task("stsb").head is Head.REGRESSION
    assert get_task("copa").head is Head.MULTIPLE_CHOICE
    assert get_task("rte").head is Head.CLASSIFICATION
    assert Head("multiple_choice") is Head.MULTIPLE_CHOICE and Head.REGRESSION == "regression"
