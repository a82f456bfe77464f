"""How a job reaches the Optuna trial it is running, and reports to it.

The sweeper asks a trial from the study, then launches the job with a few `optuna.*` config keys
(see `TrialRef`). The job reopens the same trial from storage, reports validation scores while it
trains, and stops itself with `optuna.TrialPruned` when the pruner says so; the sweeper then
records the trial as pruned. Nothing here depends on Lightning, so a plain loop can use it too.

Config keys the sweeper adds to every trial (all force-added with `++`):
    optuna.storage       canonical storage URL (hyperpeft.sweeps.storage.resolve_storage)
    optuna.study_name    the study's name
    optuna.trial_number  the trial's number in the study
    optuna.pruner        none | median | hyperband
    optuna.pruner_args   keyword arguments of that pruner (a dict, possibly empty)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig, OmegaConf

from hyperpeft.errors import ConfigError

if TYPE_CHECKING:
    import optuna

CONFIG_NODE = "optuna"


@dataclass(frozen=True)
class TrialRef:
    """Everything a job needs to find its trial; written as overrides, read back from config."""

    storage: str
    study_name: str
    trial_number: int
    pruner: str = "none"
    pruner_args: Mapping[str, Any] = field(default_factory=dict)

    def to_overrides(self) -> list[str]:
        """Hydra overrides that put this reference under `optuna.*` in the job's config."""
        values = {
            "storage": self.storage,
            "study_name": self.study_name,
            "trial_number": self.trial_number,
            "pruner": self.pruner,
            "pruner_args": dict(self.pruner_args),
        }
        return [f"++{CONFIG_NODE}.{key}={hydra_literal(value)}" for key, value in values.items()]

    @classmethod
    def from_config(cls, cfg: DictConfig | Mapping[str, Any]) -> TrialRef | None:
        """The trial of this job, or None when the job is not part of an Optuna sweep."""
        node = OmegaConf.select(cfg, CONFIG_NODE) if isinstance(cfg, DictConfig) else None
        if node is None and isinstance(cfg, Mapping):
            node = cfg.get(CONFIG_NODE)
        if node is None or node.get("trial_number") is None:
            return None
        args = node.get("pruner_args") or {}
        if isinstance(args, DictConfig):
            args = OmegaConf.to_container(args, resolve=True)
        return cls(
            storage=str(node["storage"]),
            study_name=str(node["study_name"]),
            trial_number=int(node["trial_number"]),
            pruner=str(node.get("pruner") or "none"),
            pruner_args=dict(args),
        )

    def open(self) -> optuna.Trial:
        """Reattach to the running trial in storage, with the sweep's pruner."""
        import optuna

        from hyperpeft.sweeps.pruners import make_pruner
        from hyperpeft.sweeps.storage import open_storage

        storage = open_storage(self.storage)
        study = optuna.load_study(
            study_name=self.study_name,
            storage=storage,
            # A job never samples: a random sampler keeps reattaching free of side effects.
            sampler=optuna.samplers.RandomSampler(),
            pruner=make_pruner(self.pruner, self.pruner_args),
        )
        study_id = storage.get_study_id_from_name(self.study_name)
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, self.trial_number)
        return optuna.trial.Trial(study, trial_id)


def trial_from_config(cfg: DictConfig | Mapping[str, Any]) -> optuna.Trial | None:
    """Open the job's trial when the config carries `optuna.*` keys, else None."""
    ref = TrialRef.from_config(cfg)
    return None if ref is None else ref.open()


def report_and_maybe_prune(trial: optuna.Trial, value: float, step: int) -> None:
    """Report one validation score; raise `optuna.TrialPruned` when the pruner stops the trial.

    Multi-objective studies cannot prune in Optuna, so nothing is reported to them.
    """
    import optuna

    if len(trial.study.directions) > 1:
        return
    value = float(value)
    if math.isnan(value):
        return
    trial.report(value, step)
    if trial.should_prune():
        raise optuna.TrialPruned(f"trial {trial.number} pruned at step {step} (value {value:g})")


def hydra_literal(value: Any) -> str:
    """Write a value so Hydra's override parser reads it back with the same type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        for quote in ("'", '"'):
            if quote not in value:
                return f"{quote}{value}{quote}"
        raise ConfigError("override value", value, "a string without both kinds of quotes")
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k}:{hydra_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(hydra_literal(v) for v in value) + "]"
    raise ConfigError("override value", value, "a number, string, boolean, list or dict")
