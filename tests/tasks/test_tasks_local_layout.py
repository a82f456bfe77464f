"""The official file layouts of tasks too large to keep here (MNLI, QQP, QNLI, ReCoRD), written
small in tmp_path, and malformed official files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hyperpeft.errors import DataError
from hyperpeft.tasks import get_task, load_splits

MNLI_TRAIN_HEADER = (
    "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\t"
    "sentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tgold_label"
)
MNLI_DEV_HEADER = (
    "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\t"
    "sentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tlabel2\tlabel3\tlabel4\t"
    "label5\tgold_label"
)


def write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def mnli_line(index: int, premise: str, hypothesis: str, label: str, dev: bool) -> str:
    labels = [label] * (5 if dev else 1)
    return "\t".join(
        [str(index), "1", "1e", "fiction", "(", "(", "(", "(", premise, hypothesis, *labels, label]
    )


def test_mnli_official_layout(tmp_path):
    folder = tmp_path / "glue/MNLI"
    write(
        folder / "train.tsv",
        [MNLI_TRAIN_HEADER]
        + [mnli_line(0, 'He said "yes', "He agreed.", "entailment", dev=False)]
        + [mnli_line(1, "A", "B", "-", dev=False)]  # no gold label: skipped
        + [mnli_line(i, f"p{i}", f"h{i}", "neutral", dev=False) for i in range(2, 10)],
    )
    write(
        folder / "dev_matched.tsv",
        [MNLI_DEV_HEADER, mnli_line(0, "m", "mh", "contradiction", dev=True)],
    )
    write(
        folder / "dev_mismatched.tsv",
        [MNLI_DEV_HEADER] + [mnli_line(i, f"x{i}", "y", "neutral", dev=True) for i in range(3)],
    )
    task = get_task("mnli")
    assert task.missing_files(tmp_path) == []
    data = task.official_data(tmp_path)
    assert len(data.train) == 9
    assert data.train[0] == {
        "idx": 0,
        "premise": 'He said "yes',
        "hypothesis": "He agreed.",
        "label": 0,
    }
    assert [row["subset"] for row in data.validation] == ["matched"] + ["mismatched"] * 3
    assert data.validation[0]["label"] == 2
    splits = load_splits(task, tmp_path, seed=0)  # small here: the validation rows are halved
    assert len(splits.validation) + len(splits.test) == 4


def test_qqp_and_qnli_official_layout(tmp_path):
    header = "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate"
    rows = [f"{i}\t{2 * i}\t{2 * i + 1}\tWhy {i}?\tHow {i}?\t{i % 2}" for i in range(6)]
    write(tmp_path / "glue/QQP/train.tsv", [header, *rows])
    write(tmp_path / "glue/QQP/dev.tsv", [header, *rows[:4]])
    qqp = get_task("qqp").official_data(tmp_path)
    assert qqp.train[1] == {"idx": 1, "question1": "Why 1?", "question2": "How 1?", "label": 1}
    assert get_task("qqp").text_to_text_example(qqp.train[1]).target == "duplicate"

    header = "index\tquestion\tsentence\tlabel"
    rows = ["0\tWho?\tHim.\tentailment", "1\tWhere?\tNo idea.\tnot_entailment"]
    write(tmp_path / "glue/QNLI/train.tsv", [header, *rows])
    write(tmp_path / "glue/QNLI/dev.tsv", [header, *rows])
    qnli = get_task("qnli").official_data(tmp_path)
    assert [row["label"] for row in qnli.train] == [0, 1]
    assert qnli.train[0]["question"] == "Who?" and qnli.train[0]["sentence"] == "Him."


def record_line(passage_idx: int, query_idx: int) -> str:
    text = "Tom Hanks met Rita Wilson in Paris.\n@highlight\nTom Hanks is happy"
    spans = [(0, 8), (14, 24), (29, 33), (47, 55)]  # inclusive ends, as in the official files
    return json.dumps(
        {
            "source": "Daily mail",
            "idx": passage_idx,
            "passage": {"text": text, "entities": [{"start": s, "end": e} for s, e in spans]},
            "qas": [
                {
                    "idx": query_idx,
                    "query": "@placeholder loves Rita Wilson.",
                    "answers": [
                        {"start": 0, "end": 8, "text": "Tom Hanks"},
                        {"start": 47, "end": 55, "text": "Tom Hanks"},
                    ],
                }
            ],
        }
    )


def test_record_official_layout(tmp_path):
    write(tmp_path / "superglue/ReCoRD/train.jsonl", [record_line(i, i) for i in range(4)])
    write(tmp_path / "superglue/ReCoRD/val.jsonl", [record_line(i, 100 + i) for i in range(4)])
    task = get_task("record")
    data = task.official_data(tmp_path)
    row = data.train[0]
    assert row["entities"] == ["Paris", "Rita Wilson", "Tom Hanks"]  # unique, sorted
    assert row["answers"] == ["Tom Hanks"]
    example = task.encoder_example(row)
    assert example.label == 2 and example.texts[2][0] == "Tom Hanks loves Rita Wilson."
    assert example.meta == {"candidates": row["entities"], "answers": ["Tom Hanks"]}
    assert task.text_to_text_example(row).target == "Tom Hanks"


def test_malformed_glue_file_names_file_and_line(tmp_path):
    header = "index\tsentence1\tsentence2\tlabel"
    write(tmp_path / "glue/RTE/train.tsv", [header, "0\ta\tb\tentailment", "1\ta\tb"])
    write(tmp_path / "glue/RTE/dev.tsv", [header, "0\ta\tb\tentailment"])
    with pytest.raises(DataError) as error:
        load_splits(get_task("rte"), tmp_path, seed=0)
    assert f"{tmp_path / 'glue/RTE/train.tsv'}, line 3: 3 tab-separated fields, expected 4" in str(
        error.value
    )


def test_unknown_glue_label_names_file_and_line(tmp_path):
    write(tmp_path / "glue/CoLA/train.tsv", ["gj04\t1\t\tFine.", "gj04\t7\t*\tNot fine."])
    write(tmp_path / "glue/CoLA/dev.tsv", ["gj04\t1\t\tFine."])
    with pytest.raises(DataError, match=r"CoLA/train\.tsv, line 2: unknown label '7'"):
        get_task("cola").official_data(tmp_path)


def test_malformed_superglue_json_names_file_and_line(tmp_path):
    write(
        tmp_path / "superglue/CB/train.jsonl",
        ['{"premise": "p", "hypothesis": "h", "label": "neutral", "idx": 0}', "{oops"],
    )
    write(
        tmp_path / "superglue/CB/val.jsonl",
        ['{"premise": "p", "hypothesis": "h", "label": "neutral", "idx": 0}'],
    )
    with pytest.raises(DataError, match=r"CB/train\.jsonl, line 2: not valid JSON"):
        get_task("cb").official_data(tmp_path)
    write(tmp_path / "superglue/CB/train.jsonl", ['{"premise": "p", "label": "neutral", "idx": 0}'])
    with pytest.raises(DataError, match=r"CB/train\.jsonl, line 1: missing field 'hypothesis'"):
        get_task("cb").official_data(tmp_path)
