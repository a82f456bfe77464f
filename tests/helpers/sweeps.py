"""Helpers of the sweeper tests: run the stand-in app under tests/sweeps/app with `-m`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import optuna

APP = Path(__file__).resolve().parents[1] / "sweeps" / "app" / "app.py"


def app_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"HYDRA_FULL_ERROR": "1", "WANDB_MODE": "offline", "HF_HUB_OFFLINE": "1"})
    return env


def app_command(*overrides: str) -> list[str]:
    return [sys.executable, str(APP), "-m", *overrides]


def read_log(path: Path) -> list[dict]:
    """One entry per job that trained to the end."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def load_study(tmp_path: Path, name: str, kind: str = "sqlite") -> optuna.Study:
    from hyperpeft.sweeps import open_storage, resolve_storage

    url = resolve_storage(kind, name, root=tmp_path)
    return optuna.load_study(study_name=name, storage=open_storage(url))


def expected_score(x: float, y: float) -> float:
    """The app's final score for its parameters (tests/sweeps/app/app.py)."""
    return float(x) + 0.1 * float(y)


def config_from_overrides(overrides: list[str]):
    """A config holding what these Hydra overrides set, as a job composed with them sees it."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    cfg = OmegaConf.create({"seed": 1})
    for override in OverridesParser.create().parse_overrides(overrides):
        OmegaConf.update(cfg, override.key_or_group, override.value(), force_add=True)
    return cfg


# A hyperpeft sweep of six tiny-bert trials, two at a time: a grid of bottlenecks 8, 4 and 2 of
# tiny-bert's 64 with phm_dim 2 or 4, where phm_dim 4 cannot divide the bottleneck of 2 (the
# method refuses that one trial). The launcher (`hydra/launcher=...`) is the caller's.
COMPACTER_STUDY = "compacter_rank"
TINY_PARALLEL_SWEEP = (
    f"+sweep={COMPACTER_STUDY}",
    "hydra.sweeper.n_jobs=2",
    "hydra.sweeper.n_trials=6",
    "hydra.sweeper.sampler=grid",
    "method.reduction_factor=choice(8,16,32)",
    "method.phm_dim=choice(2,4)",
    "method.phm_rank=1",
    "model=tiny-bert",
    "task=rte",
    "trainer.max_steps=2",
    "trainer.eval_every=2",
    "trainer.batch_size=4",
    "trainer.eval_batch_size=16",
    "data.max_train_examples=16",
    "data.max_eval_examples=16",
)
REFUSED_TRIAL = {"method.reduction_factor": 32, "method.phm_dim": 4}


def compacter_trials(root: Path) -> list:
    """The trials of the sweep file's study, in the SQLite file below `root`."""
    storage = f"sqlite:///{root / 'outputs' / 'optuna' / f'{COMPACTER_STUDY}.db'}"
    return optuna.load_study(study_name=COMPACTER_STUDY, storage=storage).get_trials()
