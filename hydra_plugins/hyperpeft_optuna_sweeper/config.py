"""The sweeper's settings, registered as `hydra/sweeper: optuna` in Hydra's ConfigStore.

Every field can be set in a sweep file under `hydra.sweeper` or on the command line
(`hydra.sweeper.n_trials=4`). Search-space entries in `params` use Hydra's override syntax:
`choice(1,2,4)`, `range(8,65,8)`, `interval(0.0,0.3)`, `int(interval(8,64))`,
`tag(log, interval(1e-4,1e-2))`; a plain value fixes the key for every trial.
"""

# No `from __future__ import annotations` here: Hydra's plugin scan runs this module before it is
# in sys.modules, where dataclasses would look string annotations up.
from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore


@dataclass
class OptunaSweeperConf:
    _target_: str = "hydra_plugins.hyperpeft_optuna_sweeper.sweeper.OptunaSweeper"

    # Name of the study in its storage; null takes Hydra's job name.
    study_name: str | None = None
    # null/"sqlite": outputs/optuna/<study_name>.db; "journal": outputs/optuna/<study_name>.journal;
    # journal:///path/file.journal; or any database URL (sqlite:///x.db, postgresql://...).
    storage: str | None = None
    # Trials in the study in total, whatever their state (complete, pruned, failed, running):
    # running the command again continues an interrupted study and does nothing on a full one.
    n_trials: int = 20
    # Trials asked and launched together; 1 with Hydra's basic (sequential) launcher.
    n_jobs: int = 1
    # tpe | random | grid | nsga2, with optuna's keyword arguments in sampler_args.
    sampler: str = "tpe"
    sampler_args: dict[str, Any] = field(default_factory=dict)
    # Trial k samples with seed + k: reproducible, and parallel workers never repeat each other.
    seed: int | None = None
    # Keys of what the task function returns (hyperpeft: `RunResult.objectives()`, i.e. "score",
    # "test_score" and the parameter table's "trainable", "trainable_pct", ...), one per objective.
    objectives: list[str] = field(default_factory=lambda: ["score"])
    # maximize | minimize, or a list with one direction per objective.
    direction: Any = "maximize"
    # none | median | hyperband (single objective only), with optuna's keyword arguments.
    pruner: str = "none"
    pruner_args: dict[str, Any] = field(default_factory=dict)
    # The search space: config key -> Hydra override expression.
    params: dict[str, Any] = field(default_factory=dict)


ConfigStore.instance().store(
    group="hydra/sweeper",
    name="optuna",
    node=OptunaSweeperConf,
    provider="hyperpeft_optuna_sweeper",
)
