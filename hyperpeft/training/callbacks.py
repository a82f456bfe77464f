"""Callbacks: best-weights checkpointing, resumable state, honest step timing, the progress bar."""

from __future__ import annotations

import os
import resource
import signal
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import RichProgressBar
from pytorch_lightning.utilities.exceptions import SIGTERMException

from hyperpeft.training.checkpoints import (
    RUN_KEY,
    WEIGHTS_FILE,
    atomic_save_weights,
    save_resumable,
    weights_readable,
)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class BestWeights(pl.Callback):
    """After each evaluation: keep the best weights by mean validation score, save resumable state.

    Both files are written to a temporary name and renamed, so an interrupt never leaves half a
    checkpoint; `last.ckpt` keeps the state before it as `previous.ckpt`. The best weights so far
    are part of the resumable state, so a resumed run needs nothing else from its folder. A NaN
    loss keeps the last good files untouched.

    Ctrl-C (and SIGTERM in a single process) does not stop the process wherever it happens to be
    (half an optimizer step would be saved): it asks for a stop at the end of the current
    optimizer step, after the evaluation due at that step if there is one, where the state is
    whole; a second signal stops at once. Under DDP, SIGTERM takes Lightning's own path, which
    agrees on the stop across ranks.
    """

    def __init__(self, directory: Path, metadata: dict) -> None:
        self.directory = Path(directory)
        self.metadata = metadata
        self.best_score = float("-inf")
        self.best_step = -1
        self.best_state: dict[str, torch.Tensor] | None = None
        self.best_metrics: dict[str, Any] = {}
        self.last_step = -1
        self.saved_step = 0  # the step of the newest resumable state (restored or saved)
        self.stop_requested = False
        self._stop_after_evaluation = False
        self._saved_on_stop = False
        self._previous_handlers: dict[int, Any] = {}

    # -- evaluation and saving -------------------------------------------------------------------
    def on_validation_end(self, trainer: pl.Trainer, pl_module: Any) -> None:
        if trainer.sanity_checking or "validation" not in pl_module.last_metrics:
            return
        score = pl_module.last_metrics["validation"]["score"]
        self.last_step = trainer.global_step
        if score > self.best_score:
            self.best_score = score
            self.best_step = trainer.global_step
            self.best_state = pl_module.trainable_state_dict()
            self.best_metrics = pl_module.last_metrics["validation"]
            if trainer.is_global_zero:
                atomic_save_weights(self.best_state, self.weights_path, self.metadata)
        if trainer.state.fn == "fit":
            self.save_resumable(trainer)
            if self._stop_after_evaluation:
                self._stop(trainer)

    @property
    def weights_path(self) -> Path:
        return self.directory / WEIGHTS_FILE

    def save_resumable(self, trainer: pl.Trainer) -> None:
        # every rank takes part in the save; rank 0 writes the file
        save_resumable(self.directory, trainer.save_checkpoint, commit=trainer.is_global_zero)
        self.saved_step = trainer.global_step

    def on_save_checkpoint(
        self, trainer: pl.Trainer, pl_module: Any, checkpoint: dict[str, Any]
    ) -> None:
        checkpoint[RUN_KEY] = {key: self.metadata[key] for key in ("model", "method", "tasks")}

    def state_dict(self) -> dict[str, Any]:
        return {
            "best_score": self.best_score,
            "best_step": self.best_step,
            "best_metrics": self.best_metrics,
            "best_state": self.best_state,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.best_score = state_dict["best_score"]
        self.best_step = state_dict["best_step"]
        self.best_metrics = state_dict.get("best_metrics", {})
        self.best_state = state_dict.get("best_state")  # absent from older checkpoints

    # -- the run's start and end -----------------------------------------------------------------
    def on_train_start(self, trainer: pl.Trainer, pl_module: Any) -> None:
        self.saved_step = trainer.global_step  # a resumed run starts from a saved state
        restored = self.best_state is not None  # a fresh run has none before its first evaluation
        if restored and trainer.is_global_zero and not weights_readable(self.weights_path):
            # the best weights came back with the resumable state: the file is theirs again
            atomic_save_weights(self.best_state, self.weights_path, self.metadata)
            print(
                f"note: {self.weights_path} was missing or damaged; written again from the best "
                f"weights in the resumable state (step {self.best_step})",
                file=sys.stderr,
            )
        if threading.current_thread() is threading.main_thread():
            signals = STOP_SIGNALS if trainer.world_size == 1 else (signal.SIGINT,)
            for number in signals:
                self._previous_handlers[number] = signal.signal(number, self._request_stop)

    def on_train_end(self, trainer: pl.Trainer, pl_module: Any) -> None:
        self._restore_handlers()
        if trainer.global_step != self.saved_step:  # the budget ended between two evaluations
            self.save_resumable(trainer)

    def _restore_handlers(self) -> None:
        for number, handler in self._previous_handlers.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
        self._previous_handlers = {}

    # -- stopping on request ---------------------------------------------------------------------
    def _request_stop(self, signum: int, frame: Any) -> None:
        if self.stop_requested:
            raise KeyboardInterrupt
        self.stop_requested = True

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if not self.stop_requested or self._stop_after_evaluation:
            return
        if (batch_idx + 1) % trainer.accumulate_grad_batches:
            return  # mid-accumulation: the optimizer step is not whole yet
        if _evaluation_due(trainer):
            # stopping here would save a state whose evaluation a resumed run skips
            self._stop_after_evaluation = True
            return
        self.save_resumable(trainer)
        self._stop(trainer)

    def _stop(self, trainer: pl.Trainer) -> None:
        self._saved_on_stop = True
        raise KeyboardInterrupt

    def on_exception(self, trainer: pl.Trainer, pl_module: Any, exception: BaseException) -> None:
        """Save on SIGTERM under DDP (Lightning's stop, at a step's end); any other exception
        (a NaN loss, a bug, bad input found late) keeps the last good files as they are."""
        self._restore_handlers()
        stopped_by_lightning = isinstance(exception, SIGTERMException) and not self._saved_on_stop
        progressed = trainer.state.fn == "fit" and trainer.global_step != self.saved_step
        if stopped_by_lightning and progressed:
            self.save_resumable(trainer)


def _evaluation_due(trainer: pl.Trainer) -> bool:
    """Whether Lightning evaluates after the current batch: every `val_check_batch` batches of
    the run (counted over epochs, as Lightning does)."""
    every = trainer.val_check_batch
    batch = trainer.fit_loop.epoch_loop.total_batch_idx
    return isinstance(every, int) and every > 0 and (batch + 1) % every == 0


class StepTimer(pl.Callback):
    """Wall time of each training step (forward, backward, optimizer), evaluation excluded, and
    the run's wall time; both carry over a resume (they are part of the resumable state).

    `started` is when this part of the run began (`time.perf_counter()`), before its backbone was
    built: a resumed run's wall time is the earlier parts' plus its own.
    """

    def __init__(self, skip_first: int = 3, started: float | None = None) -> None:
        self.skip_first = skip_first
        self.started = time.perf_counter() if started is None else started
        self.times: list[float] = []
        self.earlier_times: list[float] = []  # steady step times of the parts before a resume
        self.earlier_wall_time_s = 0.0
        self._start = 0.0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self._start = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.times.append(time.perf_counter() - self._start)

    def _steady(self) -> list[float]:
        """The first steps of a part of the run warm caches up; they are left out."""
        return self.earlier_times + (self.times[self.skip_first :] or self.times)

    @property
    def step_time(self) -> float | None:
        steady = self._steady()
        return statistics.median(steady) if steady else None

    def wall_time_s(self) -> float:
        """The run's wall time until now, the parts before a resume included."""
        return self.earlier_wall_time_s + time.perf_counter() - self.started

    def state_dict(self) -> dict[str, Any]:
        return {"steady_times": self._steady(), "wall_time_s": self.wall_time_s()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.earlier_times = list(state_dict.get("steady_times", []))
        self.earlier_wall_time_s = float(state_dict.get("wall_time_s", 0.0))


class RunProgressBar(RichProgressBar):
    """Lightning's rich bar, counting the batches of the whole run: `63/100` after a resume at
    step 63, where Lightning's own bar counts from the resumed batch but totals the steps left
    (`63/37`), and labelled "Training" rather than an epoch of an epoch-less run (`Epoch 0/-2`).
    The count is the run's (over epochs: a finished run trained further starts a new one)."""

    @property
    def total_train_batches(self) -> int | float:
        return self.trainer.num_training_batches

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        run_batch = trainer.fit_loop.epoch_loop.total_batch_idx
        super().on_train_batch_end(trainer, pl_module, outputs, batch, run_batch)

    def _get_train_description(self, current_epoch: int) -> str:
        return f"{'Training':{len(self.validation_description)}}"


def peak_memory_mb() -> float:
    """Peak memory of this process: CUDA's allocator peak on a GPU, the resident set on a CPU."""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        return torch.cuda.max_memory_allocated() / 2**20
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak_kb / 1024 if os.uname().sysname != "Darwin" else peak_kb / 2**20
