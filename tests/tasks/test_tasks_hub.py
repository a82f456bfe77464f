"""The hub path: `datasets.load_dataset` replaced by in-memory datasets with the hub's real column
names and label features (nyu-mll/glue, aps/super_glue), so the reading code runs for real."""

from __future__ import annotations

import json

import pytest
from datasets import ClassLabel, Dataset, DatasetDict, Features, Sequence, Value

from hyperpeft.errors import DataError
from hyperpeft.tasks import get_task, load_splits
from hyperpeft.tasks.readers import parse_records, read_jsonl

GLUE_PAIR = {
    "mnli": ("premise", "hypothesis", ["entailment", "neutral", "contradiction"]),
    "qqp": ("question1", "question2", ["not_duplicate", "duplicate"]),
    "qnli": ("question", "sentence", ["entailment", "not_entailment"]),
    "rte": ("sentence1", "sentence2", ["entailment", "not_entailment"]),
}


def glue_split(name: str, size: int, offset: int = 0, labelled: bool = True) -> Dataset:
    first, second, names = GLUE_PAIR[name]
    features = Features(
        {
            first: Value("string"),
            second: Value("string"),
            "label": ClassLabel(names=names),
            "idx": Value("int32"),
        }
    )
    return Dataset.from_dict(
        {
            first: [f"{first} {offset + i}" for i in range(size)],
            second: [f"{second} {offset + i}" for i in range(size)],
            "label": [(i % len(names)) if labelled else -1 for i in range(size)],
            "idx": list(range(size)),
        },
        features=features,
    )


def test_mnli_from_hub_holds_out_1000_and_reports_both_validation_sets(fake_hub):
    fake_hub(
        "nyu-mll/glue",
        "mnli",
        DatasetDict(
            train=glue_split("mnli", 10_050),
            validation_matched=glue_split("mnli", 6, offset=100_000),
            validation_mismatched=glue_split("mnli", 4, offset=200_000),
            test_matched=glue_split("mnli", 3, labelled=False),
            test_mismatched=glue_split("mnli", 3, labelled=False),
        ),
    )
    task = get_task("mnli")
    splits = load_splits(task, None, seed=0)
    assert fake_hub.calls == [("nyu-mll/glue", "mnli")]
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (9050, 1000, 10)
    assert [row["subset"] for row in splits.test] == ["matched"] * 6 + ["mismatched"] * 4
    assert splits.test[0] == {
        "idx": 0,
        "premise": "premise 100000",
        "hypothesis": "hypothesis 100000",
        "label": 0,
        "subset": "matched",
    }
    row = next(row for row in splits.train if row["label"] == 2)
    t5 = task.text_to_text_example(row)
    assert t5.target == "contradiction"
    assert t5.source == f"mnli premise: {row['premise']} hypothesis: {row['hypothesis']}"
    examples = [task.encoder_example(row) for row in splits.test]
    assert examples[0].meta == {"subset": "matched"} and examples[-1].meta == {
        "subset": "mismatched"
    }
    # matched: 6 right of 6; mismatched: 2 right of 4
    predictions = [e.label for e in examples[:6]] + [examples[6].label, examples[7].label, -1, -1]
    metrics = task.compute_metrics(predictions, examples)
    assert metrics == {"accuracy_matched": 1.0, "accuracy_mismatched": 0.5, "accuracy": 0.75}
    assert task.score(metrics) == 0.75
    assert task.compute_metrics([e.label for e in examples[:6]], examples[:6])["accuracy"] == 1.0
    held = [task.encoder_example(row) for row in splits.validation]
    assert set(task.compute_metrics([e.label for e in held], held)) == {"accuracy"}


@pytest.mark.parametrize("name", ["qqp", "qnli"])
def test_large_glue_pair_tasks_from_hub(name, fake_hub):
    fake_hub(
        "nyu-mll/glue",
        name,
        DatasetDict(
            train=glue_split(name, 10_000),
            validation=glue_split(name, 8, offset=50_000),
            test=glue_split(name, 2, labelled=False),
        ),
    )
    task = get_task(name)
    splits = load_splits(task, None, seed=1)
    first, second, names = GLUE_PAIR[name]
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (9000, 1000, 8)
    assert splits.test[1] == {
        "idx": 1,
        first: f"{first} 50001",
        second: f"{second} 50001",
        "label": 1,
    }
    assert task.text_to_text_example(splits.test[1]).target == names[1]
    assert task.text_to_text_example(splits.test[1]).source.startswith(f"{name} {first}: ")
    assert task.encoder_example(splits.test[1]).texts == [(f"{first} 50001", f"{second} 50001")]


def test_cola_and_stsb_hub_schemas(fake_hub):
    fake_hub(
        "nyu-mll/glue",
        "cola",
        DatasetDict(
            train=Dataset.from_dict(
                {"sentence": ["Good one.", "Bad one one."], "label": [1, 0], "idx": [0, 1]},
                features=Features(
                    {
                        "sentence": Value("string"),
                        "label": ClassLabel(names=["unacceptable", "acceptable"]),
                        "idx": Value("int32"),
                    }
                ),
            ),
            validation=Dataset.from_dict(
                {"sentence": ["A.", "B.", "C."], "label": [0, 1, 1], "idx": [0, 1, 2]},
                features=Features(
                    {
                        "sentence": Value("string"),
                        "label": ClassLabel(names=["unacceptable", "acceptable"]),
                        "idx": Value("int32"),
                    }
                ),
            ),
        ),
    )
    stsb_features = Features(
        {
            "sentence1": Value("string"),
            "sentence2": Value("string"),
            "label": Value("float32"),
            "idx": Value("int32"),
        }
    )
    stsb = Dataset.from_dict(
        {"sentence1": ["a", "b"], "sentence2": ["c", "d"], "label": [3.8, 0.25], "idx": [0, 1]},
        features=stsb_features,
    )
    fake_hub("nyu-mll/glue", "stsb", DatasetDict(train=stsb, validation=stsb))
    cola = get_task("cola").official_data(None)
    assert cola.train[0] == {"idx": 0, "sentence": "Good one.", "label": 1}
    assert len(cola.validation) == 3
    stsb_rows = get_task("stsb").official_data(None).train
    assert stsb_rows[0]["label"] == pytest.approx(3.8, abs=1e-6)
    assert get_task("stsb").text_to_text_example(stsb_rows[1]).target == "0.2"


RECORD_FEATURES = Features(
    {
        "passage": Value("string"),
        "query": Value("string"),
        "entities": Sequence(Value("string")),
        "entity_spans": Sequence(
            {"text": Value("string"), "start": Value("int32"), "end": Value("int32")}
        ),
        "answers": Sequence(Value("string")),
        "idx": {"passage": Value("int32"), "query": Value("int32")},
    }
)


def record_split(passages: list[tuple[int, list[str], list[tuple[str, list[str]]]]]) -> Dataset:
    """Hub rows (one per query) from (passage index, entities, [(query, answers)])."""
    columns = {name: [] for name in RECORD_FEATURES}
    query_index = 0
    for passage_index, entities, queries in passages:
        text = f"Passage {passage_index} about {' and '.join(entities)}.\n@highlight\nA bullet"
        for query, answers in queries:
            columns["passage"].append(text)
            columns["query"].append(query)
            columns["entities"].append(entities)
            starts = [text.index(entity) for entity in entities]
            columns["entity_spans"].append(
                {
                    "text": list(entities),
                    "start": starts,
                    "end": [s + len(e) for s, e in zip(starts, entities, strict=True)],
                }
            )
            columns["answers"].append(answers)
            columns["idx"].append({"passage": passage_index, "query": query_index})
            query_index += 1
    return Dataset.from_dict(columns, features=RECORD_FEATURES)


def test_record_from_hub_is_multiple_choice_over_entities(fake_hub):
    train = record_split(
        [
            (0, ["Alice", "Bob", "Carol"], [("@placeholder met Bob.", ["Alice"])]),
            (1, ["Dover", "Paris"], [("They flew to @placeholder.", ["Paris"])]),
        ]
    )
    validation = record_split(
        [
            (
                10,
                ["Obama", "Barack Obama", "Kenya"],
                [("@placeholder spoke.", ["Barack Obama", "Obama"])],
            ),
            (
                11,
                ["Rome", "Milan"],
                [("In @placeholder today.", ["Rome"]), ("Back to @placeholder.", ["Milan"])],
            ),
            (12, ["X", "Y"], [("@placeholder wins.", ["Y"])]),
            (13, ["U.K.", "France"], [("The @placeholder voted.", ["U.K."])]),
        ]
    )
    fake_hub("aps/super_glue", "record", DatasetDict(train=train, validation=validation))
    task = get_task("record")
    assert task.head == "multiple_choice" and task.num_labels == 1
    data = task.official_data(None)
    assert fake_hub.calls == [("aps/super_glue", "record")]
    first = data.train[0]
    assert first["entities"] == ["Alice", "Bob", "Carol"] and first["answers"] == ["Alice"]
    example = task.encoder_example(first)
    assert [a for a, _ in example.texts] == ["Alice met Bob.", "Bob met Bob.", "Carol met Bob."]
    assert example.label == 0
    assert "@highlight" not in example.texts[0][1]
    assert len(task.encoder_example(data.train[1]).texts) == 2  # a variable number of choices
    assert task.encoder_example(data.train[1]).label == 1
    t5 = task.text_to_text_example(data.train[1])
    assert t5.target == "Paris"
    assert t5.source.startswith(
        "record query: They flew to @placeholder. entities: Dover, Paris passage: "
    )
    # splits keep every query of a passage together
    splits = load_splits(task, None, seed=0)
    halves = [{row["passage_idx"] for row in split} for split in (splits.validation, splits.test)]
    assert not halves[0] & halves[1] and halves[0] | halves[1] == {10, 11, 12, 13}
    assert len(splits.validation) + len(splits.test) == 5


def test_multirc_hub_rows_equal_local_rows(fake_hub, data_dir):
    """Flatten the official jsonl as the hub does; both sources must give the same rows."""
    path = data_dir / "superglue/MultiRC/val.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()[:3]]
    columns = {"paragraph": [], "question": [], "answer": [], "idx": [], "label": []}
    for record in records:
        for question in record["passage"]["questions"]:
            for answer in question["answers"]:
                columns["paragraph"].append(record["passage"]["text"])
                columns["question"].append(question["question"])
                columns["answer"].append(answer["text"])
                columns["idx"].append(
                    {
                        "paragraph": record["idx"],
                        "question": question["idx"],
                        "answer": answer["idx"],
                    }
                )
                columns["label"].append(int(answer["label"]))
    features = Features(
        {
            "paragraph": Value("string"),
            "question": Value("string"),
            "answer": Value("string"),
            "idx": {
                "paragraph": Value("int32"),
                "question": Value("int32"),
                "answer": Value("int32"),
            },
            "label": ClassLabel(names=["False", "True"]),
        }
    )
    hub = Dataset.from_dict(columns, features=features)
    fake_hub("aps/super_glue", "multirc", DatasetDict(train=hub, validation=hub))
    task = get_task("multirc")
    local = parse_records(path, read_jsonl(path), task.parse_local)
    local = [row for row in local if row["paragraph_idx"] < 3]
    assert task.official_data(None).train == local
    groups = {task.encoder_example(row).group for row in local}
    assert len(groups) == sum(len(r["passage"]["questions"]) for r in records)


def hub_rows_from_jsonl(task_name: str, records: list[dict]) -> Dataset:
    """The hub's flat schema of simple SuperGLUE tasks, built from official records."""
    label_names = {
        "cb": ["entailment", "contradiction", "neutral"],
        "copa": ["choice1", "choice2"],
        "rte": ["entailment", "not_entailment"],
    }.get(task_name, ["False", "True"])
    rows = []
    for record in records:
        target = record.pop("target", {})
        row = {**record, **target}
        label = row["label"]
        if task_name == "copa":
            label = "choice2" if label else "choice1"
        elif isinstance(label, bool):
            label = "True" if label else "False"
        row["label"] = label_names.index(label)
        row.pop("version", None)
        rows.append(row)
    columns = {key: [row[key] for row in rows] for key in rows[0]}
    features = Features(
        {
            key: ClassLabel(names=label_names)
            if key == "label"
            else Value("string" if isinstance(columns[key][0], str) else "int32")
            for key in columns
        }
    )
    return Dataset.from_dict(columns, features=features)


@pytest.mark.parametrize(
    ("name", "config", "folder"),
    [
        ("cb", "cb", "CB"),
        ("copa", "copa", "COPA"),
        ("superglue-rte", "rte", "RTE"),
        ("wic", "wic", "WiC"),
        ("wsc", "wsc", "WSC"),
    ],
)
def test_superglue_hub_rows_equal_local_rows(name, config, folder, fake_hub, data_dir):
    path = data_dir / f"superglue/{folder}/val.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()[:12]]
    hub = hub_rows_from_jsonl(config, [dict(r) for r in records])
    fake_hub("aps/super_glue", config, DatasetDict(train=hub, validation=hub))
    task = get_task(name)
    local = parse_records(path, read_jsonl(path), task.parse_local)[:12]
    assert task.official_data(None).validation == local


def test_boolq_from_hub(fake_hub):
    features = Features(
        {
            "question": Value("string"),
            "passage": Value("string"),
            "idx": Value("int32"),
            "label": ClassLabel(names=["False", "True"]),
        }
    )
    data = Dataset.from_dict(
        {
            "question": ["is it?", "is it not?"],
            "passage": ["p1", "p2"],
            "idx": [0, 1],
            "label": [1, 0],
        },
        features=features,
    )
    fake_hub("aps/super_glue", "boolq", DatasetDict(train=data, validation=data))
    task = get_task("boolq")
    rows = task.official_data(None).train
    assert rows[0] == {"idx": 0, "question": "is it?", "passage": "p1", "label": 1}
    assert task.text_to_text_example(rows[0]).target == "True"
    assert task.text_to_text_example(rows[0]).source == "boolq question: is it? passage: p1"


def test_hub_failure_says_how_to_use_a_local_folder(fake_hub):
    with pytest.raises(DataError) as error:
        load_splits(get_task("qnli"), None, seed=0)
    message = str(error.value)
    assert "nyu-mll/glue" in message and "qnli" in message
    assert "HYPERPEFT_DATA_DIR" in message and "data.dir=" in message


def test_hub_row_without_label_names_split_and_row(fake_hub):
    fake_hub(
        "nyu-mll/glue",
        "rte",
        DatasetDict(train=glue_split("rte", 3, labelled=False), validation=glue_split("rte", 2)),
    )
    with pytest.raises(DataError, match=r"split train, row 0: missing label"):
        get_task("rte").official_data(None)


def test_hub_dataset_without_expected_split(fake_hub):
    fake_hub("nyu-mll/glue", "rte", DatasetDict(train=glue_split("rte", 3)))
    with pytest.raises(DataError, match="no split 'validation'"):
        get_task("rte").official_data(None)
