"""Shared fixtures: offline environment, the real data folder, tiny models, and the ways a test
runs hyperpeft (the command in a subprocess, its command line in-process, a composed config).
The helpers behind them live in tests/helpers/."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from hyperpeft.methods import METHOD_NAMES
from tests.helpers.cli_inprocess import Outcome, run_cli_inprocess
from tests.helpers.commands import HYPERPEFT, Finished, run_command
from tests.helpers.inprocess import InProcessRun, run_inprocess
from tests.helpers.tiny_models import BACKBONES

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


@pytest.fixture(params=sorted(BACKBONES))
def architecture(request) -> str:
    """Every architecture the methods attach to (tests.helpers.tiny_models.BACKBONES)."""
    return request.param


@pytest.fixture(params=METHOD_NAMES)
def method_name(request) -> str:
    """Every registered method."""
    return request.param


@pytest.fixture
def hyperpeft(tmp_path) -> Callable[..., Finished]:
    """`hyperpeft(*overrides)` runs the command in a subprocess, its output folder in tmp_path."""

    def call(*overrides: str, run_dir: Path | None = None, timeout: int = 600) -> Finished:
        run_dir = run_dir or tmp_path / "run"
        done = run_command(
            HYPERPEFT, *overrides, f"hydra.run.dir={run_dir}", cwd=tmp_path, timeout=timeout
        )
        return Finished(done.returncode, done.stdout, done.stderr, run_dir)

    return call


@pytest.fixture
def cli(capsys, tmp_path, monkeypatch) -> Callable[..., Outcome]:
    """`cli(*overrides)` parses that command line in-process (for bad input), cwd = tmp_path."""
    monkeypatch.setenv("HYPERPEFT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)

    def call(*overrides: str, run_dir: Path | None = None) -> Outcome:
        return run_cli_inprocess(capsys, run_dir or tmp_path / "run", *overrides)

    return call


@pytest.fixture
def inprocess(tmp_path, monkeypatch) -> Callable[..., InProcessRun]:
    """`inprocess(*overrides)` runs a composed config through `run`, its folder in tmp_path."""
    monkeypatch.setenv("HYPERPEFT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)

    def call(*overrides: str, run_dir: Path | None = None) -> InProcessRun:
        return run_inprocess(run_dir or tmp_path / "run", *overrides)

    return call
