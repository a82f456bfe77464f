"""`data.max_train_examples=k` (the few-shot setting) and `data.max_eval_examples` keep a seeded
random sample of each split, whole groups, in file order: never the file's first k rows, which
for CB's training file are 16 entailments."""

from __future__ import annotations

from collections import Counter

from omegaconf import OmegaConf

from hyperpeft.backbones import load_tokenizer
from hyperpeft.data.task_data import build_task_data
from hyperpeft.formulation import EncoderHeads
from hyperpeft.tasks import get_task, load_splits
from hyperpeft.tasks.splits import sample


def rows(n: int, groups: int | None = None) -> list[dict]:
    return [{"idx": i, "group": i % groups if groups else None} for i in range(n)]


def ids(selected: list[dict]) -> list[int]:
    return [row["idx"] for row in selected]


def test_a_sample_is_seeded_in_file_order_and_not_the_first_rows():
    data = rows(200)
    first = sample(data, 16, seed=0)
    assert len(first) == 16
    assert ids(first) == sorted(ids(first))
    assert ids(first) != list(range(16))
    assert ids(sample(data, 16, seed=0)) == ids(first)
    assert ids(sample(data, 16, seed=1)) != ids(first)
    assert sample(data, 500, seed=0) is data  # a limit above the size keeps every row


def test_a_sample_keeps_whole_groups():
    data = rows(90, groups=9)  # nine groups of ten rows
    chosen = sample(data, 15, seed=2, group_of=lambda row: row["group"])
    sizes = Counter(row["group"] for row in chosen)
    assert len(chosen) == 20 and set(sizes.values()) == {10}


def test_cb_k16_trains_on_more_than_one_class(tmp_path, data_dir):
    task = get_task("cb")
    first_rows = load_splits(task, data_dir, 0).train[:16]
    assert {row["label"] for row in first_rows} == {0}  # the file opens with one class
    tokenizer = load_tokenizer(OmegaConf.create({"path": "minilm", "tokenizer": "minilm"}))
    limits = {"train": 16, "validation": None, "test": None}
    args = (tokenizer, EncoderHeads(), str(data_dir), 0, 64, limits, str(tmp_path))
    data, _ = build_task_data(task, *args)
    labels = Counter(int(f.label) for f in data.features["train"])
    assert sum(labels.values()) == 16 and len(labels) >= 2
    full = load_splits(task, data_dir, 0)
    assert data.size("validation") == len(full.validation)  # no eval limit: every row
    other, _ = build_task_data(task, tokenizer, EncoderHeads(), str(data_dir), 1, 64, limits, None)
    assert [f.input_ids for f in other.features["train"]] != [
        f.input_ids for f in data.features["train"]
    ]
