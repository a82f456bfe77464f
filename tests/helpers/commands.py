"""The project's commands as a user runs them, in a subprocess; and the tiny budget of a run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HYPERPEFT = Path(sys.executable).with_name("hyperpeft")
REPORT = HYPERPEFT.with_name("hyperpeft-report")
# A few steps on a few examples: every code path of a run, in seconds on the tiny models.
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
