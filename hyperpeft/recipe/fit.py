"""Step 3, fit and test: train within the step budget, keep the best weights, test them.

Evaluation runs every `trainer.eval_every` steps and once more when the budget ends between two;
`BestWeights` keeps the best weights by mean validation score (and saves them with the resumable
state), and those are the weights the test split sees. `trainer.max_steps=0` only evaluates (a
`checkpoint=` loaded in step 1, typically).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytorch_lightning as pl
from omegaconf import DictConfig
from pytorch_lightning.loggers import Logger
from pytorch_lightning.utilities.exceptions import SIGTERMException

from hyperpeft.data.datamodule import MultiTaskDataModule
from hyperpeft.sweeps.callback import OptunaPruningCallback
from hyperpeft.training.callbacks import BestWeights, StepTimer
from hyperpeft.training.checkpoints import (
    CHECKPOINT_DIR,
    RESUME_FILE,
    WEIGHTS_FILE,
    load_trained_weights,
)
from hyperpeft.training.module import MultiTaskModule, RunInterrupted
from hyperpeft.training.trainer import build_trainer


@dataclass
class Fitted:
    """What the record step reads after testing: the trainer's step, the best evaluation and
    the step timings; and the logger, to send the result to."""

    trainer: pl.Trainer
    logger: Logger | None
    best: BestWeights
    timer: StepTimer


def fit_and_test(
    cfg: DictConfig,
    module: MultiTaskModule,
    datamodule: MultiTaskDataModule,
    run_dir: Path,
    metadata: dict,
) -> Fitted:
    best = BestWeights(run_dir / CHECKPOINT_DIR, metadata)
    timer = StepTimer()
    pruning = OptunaPruningCallback.from_config(cfg)  # None outside an Optuna sweep
    callbacks = [best, timer] + ([pruning] if pruning is not None else [])
    trainer, logger = build_trainer(cfg, run_dir, callbacks)

    if cfg.trainer.max_steps > 0:
        try:
            trainer.fit(module, datamodule=datamodule, ckpt_path=resume_path(cfg.trainer.resume))
        except (SIGTERMException, SystemExit) as err:  # Ctrl-C exits inside Lightning
            raise RunInterrupted(run_dir, trainer.global_step) from err
        if best.last_step != trainer.global_step:  # the budget ended between two evaluations
            trainer.validate(module, datamodule=datamodule, verbose=False)
    else:
        trainer.validate(module, datamodule=datamodule, verbose=False)

    restore_best_weights(module, best, run_dir / CHECKPOINT_DIR / WEIGHTS_FILE, metadata)
    trainer.test(module, datamodule=datamodule, verbose=False)
    return Fitted(trainer, logger, best, timer)


def restore_best_weights(
    module: MultiTaskModule, best: BestWeights, weights: Path, metadata: dict
) -> None:
    """The best weights of this process, else those a resumed run saved before it stopped."""
    if best.best_state is not None:
        module.load_state_dict(best.best_state, strict=False)
    elif weights.exists():
        load_trained_weights(module, weights, metadata)


def resume_path(resume: str | None) -> str | None:
    """`trainer.resume`: a run folder (its checkpoint/last.ckpt) or the file itself."""
    if resume is None:
        return None
    path = Path(resume)
    return str(path / CHECKPOINT_DIR / RESUME_FILE if path.is_dir() else path)
