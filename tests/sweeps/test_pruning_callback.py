"""The Lightning callback reports `val/score` to the trial and stops a trial below the median."""

from __future__ import annotations

import optuna
import pytest
import pytorch_lightning as pl
import torch
from omegaconf import OmegaConf
from torch.utils.data import DataLoader, TensorDataset

from hyperpeft.sweeps import TrialRef, open_storage, resolve_storage
from hyperpeft.sweeps.callback import OptunaPruningCallback
from tests.helpers.sweeps import config_from_overrides

EVAL_EVERY = 2
MAX_STEPS = 8


class ScriptedScores(pl.LightningModule):
    """Trains one weight; its validation score at evaluation k is `scores[k]`."""

    def __init__(self, scores: list[float]) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(1))
        self.scores = scores
        self.evaluations = 0

    def training_step(self, batch, batch_idx):
        return (self.weight * batch[0]).pow(2).mean()

    def validation_step(self, batch, batch_idx):
        return None

    def on_validation_epoch_end(self):
        index = min(self.evaluations, len(self.scores) - 1)
        self.log("val/score", self.scores[index])
        if not self.trainer.sanity_checking:
            self.evaluations += 1

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


def fit(callback: OptunaPruningCallback, scores: list[float]) -> None:
    data = DataLoader(TensorDataset(torch.randn(32, 1)), batch_size=1)
    trainer = pl.Trainer(
        max_steps=MAX_STEPS,
        val_check_interval=EVAL_EVERY,
        limit_val_batches=1,
        num_sanity_val_steps=1,
        callbacks=[callback],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
    )
    trainer.fit(ScriptedScores(scores), data, data)


@pytest.fixture
def study_with_history(tmp_path):
    """Two finished trials that scored 1.0 at every evaluation; a median pruner."""
    url = resolve_storage("sqlite", "cb", root=tmp_path)
    study = optuna.create_study(
        study_name="cb",
        storage=open_storage(url),
        direction="maximize",
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2),
    )
    for _ in range(2):
        trial = study.ask()
        for step in range(EVAL_EVERY, MAX_STEPS + 1, EVAL_EVERY):
            trial.report(1.0, step)
        study.tell(trial, 1.0)
    return study, url


def callback_for(study: optuna.Study, url: str) -> OptunaPruningCallback:
    trial = study.ask()
    ref = TrialRef(url, study.study_name, trial.number, "median", {"n_startup_trials": 2})
    callback = OptunaPruningCallback.from_config(config_from_overrides(ref.to_overrides()))
    assert callback is not None
    return callback


def test_a_trial_below_the_median_is_pruned_at_its_first_evaluation(study_with_history):
    study, url = study_with_history
    with pytest.raises(optuna.TrialPruned):
        fit(callback_for(study, url), scores=[0.1, 0.2, 0.3, 0.4])
    trial = study.trials[-1]
    assert trial.intermediate_values == {EVAL_EVERY: pytest.approx(0.1)}  # sanity check skipped


def test_a_good_trial_reports_every_evaluation_and_finishes(study_with_history):
    study, url = study_with_history
    fit(callback_for(study, url), scores=[2.0, 2.1, 2.2, 2.3])
    values = study.trials[-1].intermediate_values
    assert values == pytest.approx({2: 2.0, 4: 2.1, 6: 2.2, 8: 2.3})


def test_no_callback_outside_a_sweep():
    assert OptunaPruningCallback.from_config(OmegaConf.create({"seed": 1})) is None
