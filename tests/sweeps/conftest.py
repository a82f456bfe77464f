"""Fixtures of the sweeper tests (helpers live in tests/helpers/sweeps.py)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers.sweeps import app_command, app_env


@pytest.fixture
def run_sweep(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess]:
    """Run one sweep in tmp_path (so outputs/optuna lands there); log lines go to log.jsonl."""

    def run(*overrides: str, check: bool = True) -> subprocess.CompletedProcess:
        command = app_command(f"log_file={tmp_path / 'log.jsonl'}", *overrides)
        done = subprocess.run(
            command, cwd=tmp_path, env=app_env(), capture_output=True, text=True, timeout=300
        )
        if check and done.returncode != 0:
            raise AssertionError(f"sweep failed ({done.returncode}):\n{done.stderr[-4000:]}")
        return done

    return run
