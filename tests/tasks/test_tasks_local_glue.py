"""GLUE tasks read from the real official tsv files: rows, counts, labels and both formats."""

from __future__ import annotations

import pytest

from hyperpeft.tasks import EncoderExample, TextToTextExample, get_task, load_splits

# Official train / dev sizes (the data folder's README).
GLUE_SIZES = {
    "cola": (8551, 1043),
    "sst2": (67349, 872),
    "mrpc": (3668, 408),
    "stsb": (5749, 1500),
    "rte": (2490, 277),
}


@pytest.mark.parametrize("name", sorted(GLUE_SIZES))
def test_official_row_counts(name, data_dir):
    data = get_task(name).official_data(data_dir)
    assert (len(data.train), len(data.validation)) == GLUE_SIZES[name]
    assert data.test is None


def test_cola_has_no_header_row(data_dir):
    task = get_task("cola")
    data = task.official_data(data_dir)
    first = data.train[0]
    assert (
        first["sentence"]
        == "Our friends won't buy this analysis, let alone the next one we propose."
    )
    assert first["label"] == 1  # acceptable
    assert data.validation[0]["sentence"] == "The sailors rode the breeze clear of the rocks."
    example = task.text_to_text_example(first)
    assert example.source == "cola sentence: " + first["sentence"]
    assert example.target == "acceptable"
    assert task.encoder_example(first) == EncoderExample([(first["sentence"], None)], 1)
    assert task.metric_names == ["matthews"] and task.num_labels == 2


def test_cola_labels_cover_both_classes(data_dir):
    rows = get_task("cola").official_data(data_dir).train
    labels = {row["label"] for row in rows}
    assert labels == {0, 1}
    assert sum(row["label"] == 0 for row in rows) == 2528  # the official count of unacceptable


def test_sst2_rows(data_dir):
    task = get_task("sst2")
    first = task.official_data(data_dir).train[0]
    assert first["sentence"].strip() == "hide new secretions from the parental units"
    assert first["label"] == 0
    assert task.text_to_text_example(first).target == "negative"


def test_mrpc_columns_and_byte_order_mark(data_dir):
    task = get_task("mrpc")
    first = task.official_data(data_dir).train[0]
    assert first["sentence1"].startswith("Amrozi accused his brother")
    assert first["sentence2"].startswith("Referring to him as only")
    assert first["label"] == 1
    example = task.encoder_example(first)
    assert example.texts == [(first["sentence1"], first["sentence2"])]
    t5 = task.text_to_text_example(first)
    assert t5.source.startswith("mrpc sentence1: Amrozi accused")
    assert " sentence2: Referring to him" in t5.source
    assert t5.target == "equivalent"
    assert task.metric_names == ["f1", "accuracy"]


def test_stsb_regression_rows(data_dir):
    task = get_task("stsb")
    train = task.official_data(data_dir).train
    assert (train[0]["sentence1"], train[0]["sentence2"]) == (
        "A plane is taking off.",
        "An air plane is taking off.",
    )
    assert train[0]["label"] == 5.0 and train[1]["label"] == 3.8
    assert task.head == "regression" and task.num_labels == 1
    assert task.encoder_example(train[1]).label == pytest.approx(3.8)
    t5 = task.text_to_text_example(train[1])
    assert t5.target == "3.8" and t5.label == pytest.approx(3.8)
    assert all(0.0 <= row["label"] <= 5.0 for row in train)


def test_rte_rows(data_dir):
    task = get_task("rte")
    data = task.official_data(data_dir)
    first = data.train[0]
    assert first == {
        "idx": 0,
        "sentence1": "No Weapons of Mass Destruction Found in Iraq Yet.",
        "sentence2": "Weapons of Mass Destruction Found in Iraq.",
        "label": 1,
    }
    t5 = task.text_to_text_example(first)
    assert t5 == TextToTextExample(
        "rte sentence1: No Weapons of Mass Destruction Found in Iraq Yet. "
        "sentence2: Weapons of Mass Destruction Found in Iraq.",
        "not_entailment",
        1,
    )
    assert data.train[1]["label"] == 0  # entailment


def test_small_glue_task_splits_official_validation_in_halves(data_dir):
    splits = load_splits(get_task("rte"), data_dir, seed=0)
    assert len(splits.train) == 2490
    assert (len(splits.validation), len(splits.test)) == (138, 139)
    validation_ids = {row["idx"] for row in splits.validation}
    test_ids = {row["idx"] for row in splits.test}
    assert not validation_ids & test_ids
    assert validation_ids | test_ids == set(range(277))


def test_large_glue_task_holds_out_1000_training_rows(data_dir):
    splits = load_splits(get_task("sst2"), data_dir, seed=3)
    assert len(splits.validation) == 1000
    assert len(splits.train) == 67349 - 1000
    assert len(splits.test) == 872  # the official dev set, reported
    held = {row["idx"] for row in splits.validation}
    kept = {row["idx"] for row in splits.train}
    assert not held & kept and len(held | kept) == 67349
