"""Fixtures of the task tests: the real data folder, and a stand-in for the Hugging Face hub."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared folder of real GLUE/SuperGLUE files (the Makefile sets HYPERPEFT_DATA_DIR)."""
    value = os.environ.get("HYPERPEFT_DATA_DIR", "")
    if not (Path(value) / "glue").is_dir():
        pytest.fail(f"HYPERPEFT_DATA_DIR={value!r} does not hold the GLUE/SuperGLUE files")
    return Path(value)


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> Callable:
    """`fake_hub(path, config, dataset_dict)` makes `datasets.load_dataset(path, config)` return
    the in-memory dataset; a call for anything else fails like an unknown hub dataset. The calls
    are recorded in `fake_hub.calls`."""
    import datasets

    served: dict[tuple[str, str], datasets.DatasetDict] = {}
    calls: list[tuple[str, str]] = []

    def load_dataset(path: str, name: str | None = None, **kwargs):
        calls.append((path, name))
        if (path, name) not in served:
            raise FileNotFoundError(f"Dataset '{path}' ({name}) doesn't exist on the Hub")
        return served[(path, name)]

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)

    def serve(path: str, config: str, dataset: datasets.DatasetDict) -> None:
        served[(path, config)] = dataset

    serve.calls = calls
    return serve
