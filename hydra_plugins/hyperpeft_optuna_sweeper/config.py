"""The sweeper's settings, registered as `hydra/sweeper: optuna` in Hydra's ConfigStore.

Every field can be set in a sweep file under `hydra.sweeper` or on the command line
(`hydra.sweeper.n_trials=4`); OmegaConf checks their types as Hydra composes, `validate` the
ranges and combinations types cannot express. Search-space entries in `params` use Hydra's override syntax:
`choice(1,2,4)`, `range(8,65,8)`, `interval(0.0,0.3)`, `int(interval(8,64))`,
`tag(log, interval(1e-4,1e-2))`; a plain value fixes the key for every trial.
"""

# No `from __future__ import annotations` here: Hydra's plugin scan runs this module before it is
# in sys.modules, where dataclasses would look string annotations up.
from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore

from hyperpeft.errors import ConfigError

DIRECTIONS = ("maximize", "minimize")


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
    # Trials asked and launched together: a parallel launcher (hydra/launcher=local, slurm,
    # ray-local) runs them at the same time; Hydra's basic launcher one after another.
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

    @property
    def directions(self) -> list[str]:
        """One direction per objective; a single string applies to a single objective."""
        given = [self.direction] if isinstance(self.direction, str) else list(self.direction)
        return [str(d).lower() for d in given]

    def validate(self) -> None:
        """Checks that types cannot express; raise ConfigError before the first trial."""
        if self.n_trials < 1:
            raise ConfigError("hydra.sweeper.n_trials", self.n_trials, "a positive integer")
        if self.n_jobs < 1:
            raise ConfigError("hydra.sweeper.n_jobs", self.n_jobs, "a positive integer")
        if not self.objectives:
            raise ConfigError(
                "hydra.sweeper.objectives", self.objectives, "at least one returned key"
            )
        directions = self.directions
        if len(directions) != len(self.objectives) or any(d not in DIRECTIONS for d in directions):
            allowed = f"one of {DIRECTIONS} per objective {self.objectives}"
            raise ConfigError("hydra.sweeper.direction", self.direction, allowed)
        if len(self.objectives) > 1 and self.pruner.lower() != "none":
            allowed = "none: Optuna cannot prune multi-objective studies"
            raise ConfigError("hydra.sweeper.pruner", self.pruner, allowed)


ConfigStore.instance().store(
    group="hydra/sweeper",
    name="optuna",
    node=OptunaSweeperConf,
    provider="hyperpeft_optuna_sweeper",
)
