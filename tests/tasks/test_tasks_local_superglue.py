"""SuperGLUE tasks read from the real official jsonl files: rows, counts, labels, formats."""

from __future__ import annotations

from collections import defaultdict

import pytest

from hyperpeft.tasks import get_task, load_splits

SUPERGLUE_SIZES = {
    "cb": (250, 56),
    "copa": (400, 100),
    "multirc": (27243, 4848),
    "superglue-rte": (2490, 277),
    "wsc": (554, 104),
    "wic": (5428, 638),
}


@pytest.mark.parametrize("name", sorted(SUPERGLUE_SIZES))
def test_official_row_counts(name, data_dir):
    data = get_task(name).official_data(data_dir)
    assert (len(data.train), len(data.validation)) == SUPERGLUE_SIZES[name]


def test_cb_rows_and_label_order(data_dir):
    task = get_task("cb")
    data = task.official_data(data_dir)
    first = data.train[0]
    assert first["premise"].startswith("It was a complex language.")
    assert first["hypothesis"] == "the language was peeled down"
    assert first["label"] == 0
    assert task.label_names == ["entailment", "contradiction", "neutral"]
    assert data.validation[0]["label"] == 1 and data.validation[1]["label"] == 2
    t5 = task.text_to_text_example(data.validation[1])
    assert t5.target == "neutral"
    assert t5.source.startswith("cb premise: ``Who knows?")
    assert t5.source.endswith(" hypothesis: there is a shipment")
    assert task.metric_names == ["macro_f1", "accuracy"] and task.num_labels == 3


def test_copa_is_two_way_multiple_choice(data_dir):
    task = get_task("copa")
    data = task.official_data(data_dir)
    first = data.train[0]
    example = task.encoder_example(first)
    assert task.head == "multiple_choice" and task.num_labels == 1
    assert len(example.texts) == 2
    assert (
        example.texts[0][1] == "The sun was rising." and example.texts[1][1] == "The grass was cut."
    )
    assert example.texts[0][0].startswith("My body cast a shadow over the grass.")
    assert "cause" in example.texts[0][0]
    assert example.label == 0
    assert all(len(task.encoder_example(row).texts) == 2 for row in data.validation)
    valid = task.text_to_text_example(data.validation[0])
    assert valid.target == "choice2" and valid.label == 1
    assert (
        "question: effect" in valid.source
        and "choice2: Water flowed from the spout." in valid.source
    )


def test_multirc_rows_group_answers_by_question(data_dir):
    task = get_task("multirc")
    data = task.official_data(data_dir)
    examples = [task.encoder_example(row) for row in data.validation]
    groups = defaultdict(list)
    for example in examples:
        groups[example.group].append(example)
    assert len(groups) == 953  # questions in the official validation file
    first = data.validation[0]
    assert (
        first["question"]
        == "Would the mass of a baseball affect how much force you have to use to pick it up?"
    )
    assert first["answer"] == "No" and first["label"] == 0
    assert [e.label for e in groups[examples[0].group]] == [0, 1, 1, 0]  # its four answers
    assert len({task.encoder_example(row).group for row in data.train}) == 5131
    t5 = task.text_to_text_example(first)
    assert t5.source.startswith("multirc question: Would the mass of a baseball")
    assert " answer: No paragraph: What causes a change in motion?" in t5.source
    assert t5.target == "False" and t5.group == examples[0].group


def test_multirc_splits_never_cut_a_paragraph(data_dir):
    task = get_task("multirc")
    splits = load_splits(task, data_dir, seed=5)
    assert len(splits.train) == 27243  # a small task: the official validation is cut in halves
    paragraphs_validation = {row["paragraph_idx"] for row in splits.validation}
    paragraphs_test = {row["paragraph_idx"] for row in splits.test}
    assert not paragraphs_validation & paragraphs_test
    assert len(paragraphs_validation) + len(paragraphs_test) == 83
    assert len(splits.validation) + len(splits.test) == 4848


def test_superglue_rte_matches_glue_rte_rows(data_dir):
    superglue = get_task("superglue-rte").official_data(data_dir).train
    glue = get_task("rte").official_data(data_dir).train
    assert [r["label"] for r in superglue] == [r["label"] for r in glue]
    same = sum(s["premise"] == g["sentence1"] for s, g in zip(superglue, glue, strict=True))
    assert same >= 0.95 * len(glue)
    # GLUE's tsv keeps a sentence's opening quote: read with QUOTE_NONE it stays text
    assert glue[50]["sentence1"].startswith('"Instead of action on crime')
    assert superglue[50]["premise"].startswith("Instead of action on crime")
    t5 = get_task("superglue-rte").text_to_text_example(superglue[0])
    assert t5.source.startswith("superglue-rte premise: No Weapons of Mass Destruction")


def test_wic_rows(data_dir):
    task = get_task("wic")
    first = task.official_data(data_dir).train[0]
    assert first["word"] == "place"
    assert (first["start1"], first["end1"]) == (31, 36)
    assert first["sentence1"][first["start1"] : first["end1"]] == "place"
    assert first["label"] == 0
    example = task.encoder_example(first)
    assert example.texts == [
        (
            "place: Do you want to come over to my place later?",
            "A political system with no place for the less prominent groups.",
        )
    ]
    assert task.text_to_text_example(first).target == "False"


def test_wsc_rows_flatten_the_target_spans(data_dir):
    task = get_task("wsc")
    data = task.official_data(data_dir)
    first = data.train[0]
    assert (first["span1_text"], first["span2_text"]) == ("Mark", "He")
    assert (first["span1_index"], first["span2_index"]) == (0, 13)
    assert first["label"] == 0
    assert data.validation[1]["label"] == 1
    t5 = task.text_to_text_example(data.validation[1])
    assert t5.target == "True" and t5.source.endswith("span1_text: Mr. Moncrieff span2_text: his")
    assert '"his"' in task.encoder_example(data.validation[1]).texts[0][1]


def test_boolq_validation_is_readable_but_train_is_missing(data_dir):
    task = get_task("boolq")
    assert task.missing_files(data_dir) == [data_dir / "superglue/BoolQ/train.jsonl"]
    from hyperpeft.tasks.readers import parse_records, read_jsonl

    path = data_dir / "superglue/BoolQ/val.jsonl"
    validation = parse_records(path, read_jsonl(path), task.parse_local)
    assert len(validation) == 3270
    assert validation[0]["question"] == "does ethanol take more energy make that produces"
    assert validation[0]["label"] == 0
    t5 = task.text_to_text_example(validation[0])
    assert (
        t5.source.startswith("boolq question: does ethanol")
        and " passage: Ethanol fuel" in t5.source
    )
