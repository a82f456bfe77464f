"""Runs inside the test process: the config `hyperpeft <overrides>` composes, given to `run`.

As lightning-hydra-template's tests do: Hydra's compose API builds the same config the command
would hand its job, and the recipe's entry function runs it, without a command line.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from hyperpeft.cli import config_dir
from hyperpeft.config import register_configs
from hyperpeft.recipe import run
from hyperpeft.results import RunResult


def compose_config(*overrides: str) -> DictConfig:
    """The job's config for these command-line overrides (`hydra.*` ones aside)."""
    register_configs()  # as the command does before it composes (a test may run alone)
    with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides))


@dataclass
class InProcessRun:
    result: RunResult
    stdout: str  # the parameter table
    run_dir: Path


def run_inprocess(run_dir: Path, *overrides: str) -> InProcessRun:
    """`hyperpeft <overrides> hydra.run.dir=<run_dir>`, without the command; errors propagate."""
    cfg = compose_config(*overrides)
    printed = io.StringIO()
    with redirect_stdout(printed):
        result = run(cfg, run_dir)
    return InProcessRun(result, printed.getvalue(), run_dir)
