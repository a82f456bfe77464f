"""Task names, benchmarks and the lookup of built-in and custom tasks."""

from __future__ import annotations

import os

import pytest

from hyperpeft.errors import ConfigError, DataError
from hyperpeft.tasks import GLUE_TASKS, SUPERGLUE_TASKS, TASK_NAMES, get_task, load_splits


def test_the_sixteen_tasks():
    assert GLUE_TASKS == ("cola", "sst2", "mrpc", "qqp", "stsb", "mnli", "qnli", "rte")
    assert SUPERGLUE_TASKS == (
        "boolq",
        "cb",
        "copa",
        "multirc",
        "record",
        "superglue-rte",
        "wic",
        "wsc",
    )
    assert TASK_NAMES == GLUE_TASKS + SUPERGLUE_TASKS


@pytest.mark.parametrize("name", TASK_NAMES)
def test_every_task_describes_itself(name):
    task = get_task(name)
    assert task.name == name
    assert task.benchmark == ("glue" if name in GLUE_TASKS else "superglue")
    assert task.head in ("classification", "regression", "multiple_choice")
    assert task.max_target_tokens >= 3
    if task.head == "classification":
        assert task.num_labels == len(task.label_names) >= 2
    else:
        assert task.num_labels == 1


def test_unknown_task():
    with pytest.raises(ConfigError) as error:
        get_task("imdb")
    assert error.value.key == "task.tasks"
    assert all(name in error.value.allowed for name in TASK_NAMES)


@pytest.mark.skipif(os.environ.get("HF_HUB_OFFLINE") != "1", reason="needs HF_HUB_OFFLINE=1")
def test_real_hub_call_offline_is_a_data_error():
    """No monkeypatch: the real `datasets.load_dataset` in offline mode."""
    with pytest.raises(DataError, match="HYPERPEFT_DATA_DIR"):
        load_splits(get_task("wic"), None, seed=0)
