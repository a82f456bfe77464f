"""Custom tasks from the user's csv / tsv / jsonl files, their config checks and row errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from hyperpeft.errors import ConfigError, DataError
from hyperpeft.tasks import CustomTask, Head, get_task, load_splits
from hyperpeft.tasks.config import CustomTaskConfig


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def csv_task(tmp_path) -> dict:
    train = write(
        tmp_path / "train.csv",
        "sentence1,sentence2,label\n"
        + "".join(f"first {i},second {i},{'positive' if i % 2 else 0}\n" for i in range(40))
        + '"Hello, world","a line\nthat wraps",1\n',
    )
    dev = write(
        tmp_path / "dev.csv",
        "label,sentence2,sentence1\n" + "".join(f"negative,b{i},a{i}\n" for i in range(10)),
    )
    return {
        "train": str(train),
        "validation": str(dev),
        "text_fields": ["sentence1", "sentence2"],
        "label_field": "label",
        "label_names": ["negative", "positive"],
        "metrics": ["accuracy", "f1"],
    }


def test_csv_task_rows_formats_and_splits(csv_task):
    task = get_task("my_task", {"my_task": csv_task})
    assert isinstance(task, CustomTask) and task.benchmark == "custom"
    assert (task.head, task.num_labels, task.metric_names) == (
        "classification",
        2,
        ["accuracy", "f1"],
    )
    data = task.official_data(None)
    assert len(data.train) == 41 and len(data.validation) == 10 and data.test is None
    assert data.train[0] == {"idx": 0, "sentence1": "first 0", "sentence2": "second 0", "label": 0}
    assert data.train[1]["label"] == 1  # the word "positive"
    quoted = data.train[40]
    assert quoted["sentence1"] == "Hello, world" and quoted["sentence2"] == "a line\nthat wraps"
    assert data.validation[0] == {"idx": 0, "sentence1": "a0", "sentence2": "b0", "label": 0}
    t5 = task.text_to_text_example(data.train[1])
    assert (t5.source, t5.target, t5.label) == (
        "my_task sentence1: first 1 sentence2: second 1",
        "positive",
        1,
    )
    assert task.encoder_example(data.train[1]).texts == [("first 1", "second 1")]
    assert task.parse_prediction("Positive") == 1 and task.parse_prediction("meh") == -1
    splits = load_splits(task, None, seed=0)
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (41, 5, 5)


def test_tsv_regression_task_with_explicit_format(tmp_path):
    train = write(
        tmp_path / "train.txt",
        "text\tscore\n" + "".join(f'say "hi {i}\t{i / 10}\n' for i in range(30)),
    )
    spec = {
        "train": str(train),
        "format": "tsv",
        "text_fields": "text",
        "label_field": "score",
        "regression": True,
    }
    task = get_task("scores", {"scores": spec})
    assert (task.head, task.num_labels, task.label_names) == ("regression", 1, None)
    assert task.metric_names == ["pearson", "spearman"]
    data = task.official_data(None)
    assert data.train[3] == {"idx": 3, "text": 'say "hi 3', "label": pytest.approx(0.3)}
    example = task.text_to_text_example(data.train[3])
    assert (example.source, example.target) == ('scores text: say "hi 3', "0.3")
    assert task.encoder_example(data.train[3]).texts == [('say "hi 3', None)]
    splits = load_splits(task, None, seed=0)  # no validation, no test: 20% carved, in halves
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (24, 3, 3)


def test_jsonl_task_with_a_test_file_and_indices_as_labels(tmp_path):
    lines = [{"q": f"question {i}", "a": f"answer {i}", "y": i % 3} for i in range(50)]
    train = write(tmp_path / "train.jsonl", "\n".join(json.dumps(line) for line in lines) + "\n\n")
    test = write(tmp_path / "test.jsonl", json.dumps({"q": "x", "a": "y", "y": "maybe"}) + "\n")
    spec = OmegaConf.create(
        {
            "name": "qa",
            "train": str(train),
            "test": str(test),
            "text_fields": ["q", "a"],
            "label_field": "y",
            "label_names": ["no", "maybe", "yes"],
            "metrics": ["macro_f1", "accuracy"],
        }
    )
    task = get_task("qa", OmegaConf.create({"qa": spec}))
    assert task.num_labels == 3
    data = task.official_data(None)
    assert data.train[2]["label"] == 2 and data.test[0]["label"] == 1
    splits = load_splits(task, None, seed=4)  # validation held out from train (10%)
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (45, 5, 1)


def test_labels_named_like_digits_map_by_name(tmp_path):
    train = write(tmp_path / "t.csv", "text,stars\na,1\nb,3\nc,2\n")
    spec = {
        "train": str(train),
        "text_fields": ["text"],
        "label_field": "stars",
        "label_names": [1, 2, 3],
    }
    rows = get_task("stars", {"stars": spec}).official_data(None).train
    assert [row["label"] for row in rows] == [0, 2, 1]


def test_missing_custom_file_names_the_key(tmp_path, csv_task):
    csv_task["validation"] = str(tmp_path / "nowhere.csv")
    task = get_task("my_task", {"my_task": csv_task})
    assert task.missing_files(tmp_path) == [tmp_path / "nowhere.csv"]
    with pytest.raises(DataError, match=r"task\.custom\.my_task\.validation=.*nowhere\.csv"):
        load_splits(task, None, seed=0)


def test_too_few_rows_for_the_protocol(tmp_path):
    train = write(tmp_path / "t.csv", "text,label\na,0\n")
    spec = {"train": str(train), "text_fields": ["text"], "label_names": ["x", "y"]}
    with pytest.raises(DataError, match="empty"):
        load_splits(get_task("tiny", {"tiny": spec}), None, seed=0)


BAD_SPECS = [
    ({"colour": "red"}, "task.custom.t.colour", "allowed keys"),
    ({"train": None}, "task.custom.t.train", "a path"),
    ({"train": 3}, "task.custom.t.train", "a path"),
    ({"validation": ""}, "task.custom.t.validation", "or null"),
    ({"format": "xlsx"}, "task.custom.t.format", "csv, tsv, jsonl"),
    ({"train": "data.parquet"}, "task.custom.t.format", "extension"),
    ({"text_fields": []}, "task.custom.t.text_fields", "one or two"),
    ({"text_fields": ["a", "b", "c"]}, "task.custom.t.text_fields", "one or two"),
    ({"text_fields": ["a", "a"]}, "task.custom.t.text_fields", "one or two"),
    ({"label_field": ""}, "task.custom.t.label_field", "a field name"),
    ({"label_field": "a"}, "task.custom.t.label_field", "not in text_fields"),
    ({"label_names": None}, "task.custom.t.label_names", "regression: true"),
    ({"label_names": ["only"]}, "task.custom.t.label_names", "two or more"),
    ({"label_names": ["Yes", "yes"]}, "task.custom.t.label_names", "distinct"),
    ({"label_names": [True, False]}, "task.custom.t.label_names", "strings"),
    ({"regression": "yes"}, "task.custom.t.regression", "true or false"),
    ({"regression": True}, "task.custom.t.label_names", "null for a regression"),
    ({"metrics": ["bleu"]}, "task.custom.t.metrics", "accuracy, f1, macro_f1, matthews"),
    ({"metrics": ["pearson"]}, "task.custom.t.metrics", "for classification"),
    ({"metrics": []}, "task.custom.t.metrics", "distinct metrics"),
    ({"label_names": ["a1", "b1", "c1"], "metrics": ["f1"]}, "task.custom.t.metrics", "macro_f1"),
    ({"name": "other"}, "task.custom.t.name", "'t'"),
]


@pytest.mark.parametrize(("change", "key", "allowed"), BAD_SPECS)
def test_bad_values_name_the_key_and_what_is_allowed(change, key, allowed):
    spec = {"train": "t.csv", "text_fields": ["a", "b"], "label_names": ["neg", "pos"], **change}
    with pytest.raises(ConfigError) as error:
        get_task("t", {"t": spec})
    assert error.value.key == key
    assert allowed in error.value.allowed
    assert str(error.value).startswith(f"{key}=")


def test_custom_task_names_are_checked():
    spec = {"train": "t.csv", "text_fields": ["a"], "label_names": ["x", "y"]}
    with pytest.raises(ConfigError) as error:
        get_task("rte", {"rte": spec})
    assert error.value.key == "task.custom.rte"
    with pytest.raises(ConfigError) as error:
        get_task("my task", {"my task": spec})
    assert error.value.key == "task.custom"


def test_unknown_task_lists_the_choices():
    with pytest.raises(ConfigError) as error:
        get_task("glue-rte", {"mine": {}})
    assert error.value.key == "task.tasks" and error.value.value == "glue-rte"
    for name in ("cola", "superglue-rte", "record", "mine"):
        assert name in error.value.allowed


MALFORMED = [
    ("bad.csv", "a,b,label\nx,y,neg\nx,y\n", "line 3", "2 ','-separated fields, expected 3"),
    ("bad.csv", "a,b,label\nx,y,neg\nx,y,so-so\n", "line 3", "unknown label 'so-so'"),
    ("bad.csv", "a,label\nx,neg\n", "line 2", "missing field 'b'"),
    ("bad.tsv", "a\tb\tlabel\nx\ty\tpos\tEXTRA\n", "line 2", "4 tab-separated fields"),
    ("bad.tsv", "a\tb\tlabel\nx\ty\t7\n", "line 2", "an index 0..1"),
    (
        "bad.jsonl",
        '{"a": "x", "b": "y", "label": 0}\n{"a": "x", "b": \n',
        "line 2",
        "not valid JSON",
    ),
    ("bad.jsonl", '{"a": "x", "b": "y"}\n', "line 1", "missing field 'label'"),
    ("bad.jsonl", '["x", "y", 0]\n', "line 1", "expected a JSON object"),
]


@pytest.mark.parametrize(("file", "text", "line", "problem"), MALFORMED)
def test_malformed_rows_name_file_and_line(tmp_path, file, text, line, problem):
    path = write(tmp_path / file, text)
    spec = {"train": str(path), "text_fields": ["a", "b"], "label_names": ["neg", "pos"]}
    with pytest.raises(DataError) as error:
        get_task("t", {"t": spec}).official_data(None)
    assert f"{path}, {line}: " in str(error.value)
    assert problem in str(error.value)


def test_regression_label_must_be_a_number(tmp_path):
    path = write(tmp_path / "r.csv", "a,label\nx,0.5\ny,high\n")
    spec = {"train": str(path), "text_fields": ["a"], "regression": True, "label_names": None}
    with pytest.raises(DataError, match=r"r\.csv, line 3: label 'high' is not a number"):
        get_task("r", {"r": spec}).official_data(None)


def test_yaml_booleans_as_label_names_are_refused_with_a_hint_to_quote_them(tmp_path):
    """YAML reads `label_names: [no, yes]` as [false, true]: the words must be quoted."""
    unquoted = OmegaConf.create("train: t.csv\ntext_fields: [a]\nlabel_names: [no, yes]\n")
    with pytest.raises(ConfigError) as error:
        get_task("t", {"t": unquoted})
    assert error.value.key == "task.custom.t.label_names"
    assert error.value.value == [False, True]
    assert "quote them" in error.value.allowed and "['no', 'yes']" in error.value.allowed
    quoted = OmegaConf.create("train: t.csv\ntext_fields: [a]\nlabel_names: ['no', 'yes']\n")
    assert get_task("t", {"t": quoted}).label_names == ["no", "yes"]


def test_the_settings_keep_their_defaults_in_one_place(csv_task):
    """Keys left out take CustomTaskConfig's defaults, and the task reads them from there."""
    minimal = {"train": csv_task["train"], "text_fields": ["sentence1"], "label_names": ["a", "b"]}
    task = get_task("t", {"t": minimal})
    defaults = CustomTaskConfig(train="x", text_fields=["x"])
    assert task.label_field == defaults.label_field == "label"
    assert task.head == Head.CLASSIFICATION and task.metric_names == ["accuracy"]
    assert task.settings.validation is None and task.settings.format is None
