"""Shared fixtures: offline environment, the real data folder, and Hydra composition."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# tiny test models run fastest on one thread, and two OpenMP threads contending with a busy second
# core slow every step by an order of magnitude; slow tests on real models ask for more
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HYPERPEFT_DATA_DIR", str((ROOT.parent / "shared" / "data").resolve()))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = Path(os.environ["HYPERPEFT_DATA_DIR"])
    if not (path / "glue").is_dir():
        pytest.fail(f"HYPERPEFT_DATA_DIR={path} does not hold the GLUE/SuperGLUE files")
    return path


@pytest.fixture(scope="session")
def conf_dir() -> Path:
    return ROOT / "conf"
