"""Lightning callback that reports validation scores to the job's Optuna trial and prunes it.

The app adds it when the job's config holds the `optuna.*` keys a sweep passes
(`OptunaPruningCallback.from_config(cfg)` returns None otherwise). Pruning raises
`optuna.TrialPruned` out of `trainer.fit`; the task function must let it propagate, and the
sweeper then marks the trial PRUNED.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import optuna
import pytorch_lightning as pl

from hyperpeft.sweeps.trial import TrialRef, report_and_maybe_prune

if TYPE_CHECKING:
    from omegaconf import DictConfig

DEFAULT_MONITOR = "val/score"


class OptunaPruningCallback(pl.Callback):
    """Report `monitor` after every validation run; stop the trial when the pruner says so."""

    def __init__(self, trial: optuna.Trial, monitor: str = DEFAULT_MONITOR) -> None:
        super().__init__()
        self.trial = trial
        self.monitor = monitor

    @classmethod
    def from_config(
        cls, cfg: DictConfig | Mapping[str, Any], monitor: str = DEFAULT_MONITOR
    ) -> OptunaPruningCallback | None:
        """The callback for a sweep trial's job, or None outside an Optuna sweep."""
        ref = TrialRef.from_config(cfg)
        return None if ref is None else cls(ref.open(), monitor=monitor)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        value = trainer.callback_metrics.get(self.monitor)
        # Only rank 0 talks to the storage; every rank learns the decision so they stop together.
        pruned_message = None
        if value is not None and trainer.is_global_zero:
            try:
                report_and_maybe_prune(self.trial, float(value), trainer.global_step)
            except optuna.TrialPruned as pruned:
                pruned_message = str(pruned)
        pruned_message = trainer.strategy.broadcast(pruned_message, src=0)
        if pruned_message is not None:
            raise optuna.TrialPruned(pruned_message)
