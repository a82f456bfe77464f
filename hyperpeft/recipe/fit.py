"""Step 3, fit and test: train within the step budget, keep the best weights, test them.

Evaluation runs every `trainer.eval_every` steps and once more when the budget ends between two;
`BestWeights` keeps the best weights by mean validation score (and saves them with the resumable
state), and those are the weights the test split sees. `trainer.max_steps=0` only evaluates (a
`checkpoint=` loaded in step 1, typically).

`trainer.resume` continues from the run folder's resumable state (its last.ckpt, or the state
before it when that one is damaged): the step, optimizer and schedule, the sampler's position,
the best weights, the step times and wall time so far; logs/metrics.csv keeps the rows logged
before that state and grows from there.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytorch_lightning as pl
from omegaconf import DictConfig
from pytorch_lightning.loggers import Logger
from pytorch_lightning.utilities.exceptions import SIGTERMException

from hyperpeft.data.datamodule import MultiTaskDataModule
from hyperpeft.sweeps.callback import OptunaPruningCallback
from hyperpeft.tracking.csv_metrics import continue_metrics
from hyperpeft.training.callbacks import BestWeights, RunProgressBar, StepTimer
from hyperpeft.training.checkpoints import (
    CHECKPOINT_DIR,
    WEIGHTS_FILE,
    Resumable,
    check_resumable_for,
    load_trained_weights,
    resumable_checkpoint,
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
    started: float | None = None,
) -> Fitted:
    """`started`: when the run began (`time.perf_counter()`), for its wall time."""
    resumable = resume_from(cfg.trainer.resume, metadata)
    best = BestWeights(run_dir / CHECKPOINT_DIR, metadata)
    timer = StepTimer(started=started)
    pruning = OptunaPruningCallback.from_config(cfg)  # None outside an Optuna sweep
    callbacks = [best, timer] + ([pruning] if pruning is not None else [])
    if sys.stderr.isatty():  # as build_trainer decides whether a progress bar shows
        callbacks.append(RunProgressBar())
    trainer, logger = build_trainer(cfg, run_dir, callbacks)
    if resumable is not None:
        continue_metrics(logger, resumable.step)

    if cfg.trainer.max_steps > 0:
        checkpoint = str(resumable.path) if resumable is not None else None
        try:
            trainer.fit(module, datamodule=datamodule, ckpt_path=checkpoint)
        except (SIGTERMException, SystemExit) as err:  # Ctrl-C exits inside Lightning
            raise RunInterrupted(run_dir, best.saved_step) from err
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
    """The best weights so far (a resumed run's come back with its state), else those the
    weights file holds (a checkpoint of an older version holds none)."""
    if best.best_state is not None:
        module.load_state_dict(best.best_state, strict=False)
    elif weights.exists():
        load_trained_weights(module, weights, metadata)


def resume_from(resume: str | None, metadata: dict) -> Resumable | None:
    """`trainer.resume`'s checkpoint, read back whole and made for this run's model, method
    and tasks; says so when the state before the last one is taken."""
    if not resume:  # unset (an empty `trainer.resume=` too)
        return None
    resumable = resumable_checkpoint(resume)
    check_resumable_for(resumable, metadata)
    if resumable.note:
        print(f"note: {resumable.note}", file=sys.stderr)
    return resumable
