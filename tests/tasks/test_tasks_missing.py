"""Tasks whose files are not in the data folder: which files, and what the error tells a user."""

from __future__ import annotations

import pytest

from hyperpeft.errors import DataError
from hyperpeft.tasks import get_task, load_splits

ABSENT = {
    "mnli": ["glue/MNLI/train.tsv", "glue/MNLI/dev_matched.tsv", "glue/MNLI/dev_mismatched.tsv"],
    "qqp": ["glue/QQP/train.tsv", "glue/QQP/dev.tsv"],
    "qnli": ["glue/QNLI/train.tsv", "glue/QNLI/dev.tsv"],
    "record": ["superglue/ReCoRD/train.jsonl", "superglue/ReCoRD/val.jsonl"],
    "boolq": ["superglue/BoolQ/train.jsonl"],
}


@pytest.mark.parametrize("name", sorted(ABSENT))
def test_missing_files_names_the_expected_paths(name, data_dir):
    assert get_task(name).missing_files(data_dir) == [data_dir / p for p in ABSENT[name]]


@pytest.mark.parametrize("name", sorted(ABSENT))
def test_loading_an_absent_task_says_what_and_how(name, data_dir):
    with pytest.raises(DataError) as error:
        load_splits(get_task(name), data_dir, seed=0)
    message = str(error.value)
    for relative in ABSENT[name]:
        assert f"{data_dir / relative} (missing)" in message
    assert "HYPERPEFT_DATA_DIR" in message and "data.dir=" in message
    assert "\n" not in message


def test_boolq_error_lists_the_validation_file_that_was_found(data_dir):
    with pytest.raises(DataError, match=r"BoolQ/val\.jsonl \(found\)"):
        load_splits(get_task("boolq"), data_dir, seed=0)


@pytest.mark.parametrize("name", ["cola", "rte", "cb", "copa", "multirc", "stsb"])
def test_present_tasks_miss_nothing(name, data_dir):
    assert get_task(name).missing_files(data_dir) == []


def test_an_empty_folder_misses_everything(tmp_path):
    assert get_task("wic").missing_files(tmp_path) == [
        tmp_path / "superglue/WiC/train.jsonl",
        tmp_path / "superglue/WiC/val.jsonl",
    ]
    assert get_task("sst2").missing_files(str(tmp_path)) == [
        tmp_path / "glue/SST-2/train.tsv",
        tmp_path / "glue/SST-2/dev.tsv",
    ]
