"""The `hyperpeft` command line inside the test process, for what only the command does: parse
the command line, compose, and report bad input as one line with exit status 2. Each case fails
before training and would otherwise pay the libraries' import time once. Runs that should succeed
go through a composed config and `run` instead (inprocess.py)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from hyperpeft.cli import main


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


def run_cli_inprocess(capsys, run_dir: Path, *overrides: str) -> Outcome:
    argv = sys.argv
    sys.argv = ["hyperpeft", *overrides, f"hydra.run.dir={run_dir}"]
    code = 0
    try:
        main()
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.argv = argv
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)
