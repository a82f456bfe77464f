"""A tiny Hydra app standing in for hyperpeft's CLI in the sweeper's tests.

Its "training" reports a validation score per step through the same trial helpers the pruning
callback uses, returns a `RunResult` as hyperpeft's run does, can fail on request (with a bug-like
RuntimeError or a user-input ConfigError), and appends one
line per finished evaluation to `cfg.log_file` so tests can count how often each trial ran.
"""

from __future__ import annotations

import json
import os
import time

import hydra
from omegaconf import DictConfig

from hyperpeft.errors import ConfigError
from hyperpeft.results import RunResult
from hyperpeft.sweeps import report_and_maybe_prune, trial_from_config


def curve(cfg: DictConfig, step: int) -> float:
    """Validation score after `step`: rises with x towards a plateau, the same for every run."""
    return float(cfg.x) * (step + 1) / cfg.steps


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> RunResult:
    trial = trial_from_config(cfg)
    number = None if trial is None else trial.number
    if cfg.fail_on is not None and float(cfg.x) == float(cfg.fail_on):
        if cfg.fail_with == "config":
            raise ConfigError("x", cfg.x, f"asked to fail on x={cfg.x}")
        raise RuntimeError(f"asked to fail on x={cfg.x}")
    for step in range(cfg.steps):
        time.sleep(cfg.sleep_s)
        if trial is not None:
            report_and_maybe_prune(trial, curve(cfg, step), step)
    score = curve(cfg, cfg.steps - 1) + 0.1 * float(cfg.y)
    if cfg.log_file:
        line = json.dumps({"trial": number, "x": cfg.x, "y": cfg.y, "pid": os.getpid()})
        with open(cfg.log_file, "a", encoding="utf-8") as log:
            log.write(line + "\n")
    trainable = 1000 * (float(cfg.y) + 1)
    return RunResult(
        method="app",
        model="app",
        tasks=("app",),
        seed=None,
        params={"trainable": trainable, "trainable_pct": trainable / 1e4},
        validation_score=score,
    )


if __name__ == "__main__":
    main()
