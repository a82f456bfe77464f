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


def run_command(
    command: Path, *args: str, cwd: Path, env: dict | None = None, timeout: int = 600
) -> subprocess.CompletedProcess:
    """One of the project's commands as a user runs it: stdin closed (nothing may prompt), the
    token cache inside `cwd` unless `env` says otherwise."""
    full_env = {"HYPERPEFT_CACHE_DIR": str(cwd / "cache"), **os.environ, **(env or {})}
    return subprocess.run(
        [str(command), *args],
        cwd=cwd,
        env=full_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def hyperpeft(tmp_path):
    """`hyperpeft(*overrides)` runs the CLI with its output folder in tmp_path."""

    def call(*overrides: str, run_dir: Path | None = None, timeout: int = 600) -> Finished:
        run_dir = run_dir or tmp_path / "run"
        done = run_command(
            HYPERPEFT, *overrides, f"hydra.run.dir={run_dir}", cwd=tmp_path, timeout=timeout
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
