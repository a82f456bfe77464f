"""Run the real `hyperpeft` command as a user would, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.cli_inprocess import run_cli_inprocess

ROOT = Path(__file__).resolve().parents[2]
HYPERPEFT = Path(sys.executable).with_name("hyperpeft")
FAST = (
    "trainer.max_steps=6",
    "trainer.eval_every=3",
    "trainer.batch_size=4",
    "trainer.eval_batch_size=16",
    "data.max_train_examples=64",
    "data.max_eval_examples=24",
)


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str
    run_dir: Path

    @property
    def results(self) -> dict:
        return json.loads((self.run_dir / "results.json").read_text())


@pytest.fixture
def hyperpeft(tmp_path):
    """`hyperpeft(*overrides)` runs the CLI with its output folder in tmp_path."""
    env = dict(os.environ)
    env.setdefault("HYPERPEFT_CACHE_DIR", str(tmp_path / "cache"))

    def call(*overrides: str, run_dir: Path | None = None, timeout: int = 600) -> Finished:
        run_dir = run_dir or tmp_path / "run"
        command = [str(HYPERPEFT), *overrides, f"hydra.run.dir={run_dir}"]
        done = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout
        )
        return Finished(done.returncode, done.stdout, done.stderr, run_dir)

    return call


@pytest.fixture
def cli(capsys, tmp_path, monkeypatch):
    """`cli(*overrides)` runs the entry point in-process (no import cost), cwd = tmp_path."""
    monkeypatch.setenv("HYPERPEFT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)

    def call(*overrides: str, run_dir=None):
        return run_cli_inprocess(capsys, run_dir or tmp_path / "run", *overrides)

    return call
