"""Callbacks: best-weights checkpointing, resumable state, and honest step timing."""

from __future__ import annotations

import os
import resource
import signal
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch

from hyperpeft.atomic import atomic_write
from hyperpeft.training.checkpoints import RESUME_FILE, WEIGHTS_FILE, atomic_save_weights
from hyperpeft.training.module import NonFiniteLoss


class BestWeights(pl.Callback):
    """After each evaluation: keep the best weights by mean validation score, save resumable state.

    Both files are written to a temporary name and renamed, so an interrupt never leaves half a
    checkpoint. A NaN loss keeps the last good files untouched. Ctrl-C does not stop the process
    wherever it happens to be (half an optimizer step would be saved): it asks for a stop at the
    end of the current step, where the state is whole; a second Ctrl-C stops at once. SIGTERM
    takes the same path through Lightning, which stops after the step too.
    """

    def __init__(self, directory: Path, metadata: dict) -> None:
        self.directory = Path(directory)
        self.metadata = metadata
        self.best_score = float("-inf")
        self.best_step = -1
        self.best_state: dict[str, torch.Tensor] | None = None
        self.best_metrics: dict[str, Any] = {}
        self.last_step = -1
        self.stop_requested = False
        self._saved_on_stop = False
        self._previous_handler: Any = None

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
                atomic_save_weights(self.best_state, self.directory / WEIGHTS_FILE, self.metadata)
        if trainer.state.fn == "fit":
            self.save_resumable(trainer)

    def on_train_start(self, trainer: pl.Trainer, pl_module: Any) -> None:
        if threading.current_thread() is threading.main_thread():
            self._previous_handler = signal.signal(signal.SIGINT, self._request_stop)

    def on_train_end(self, trainer: pl.Trainer, pl_module: Any) -> None:
        self._restore_handler()

    def _restore_handler(self) -> None:
        if self._previous_handler is not None:
            signal.signal(signal.SIGINT, self._previous_handler)
            self._previous_handler = None

    def _request_stop(self, signum: int, frame: Any) -> None:
        if self.stop_requested:
            raise KeyboardInterrupt
        self.stop_requested = True

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self.stop_requested:
            self.save_resumable(trainer)
            self._saved_on_stop = True
            raise KeyboardInterrupt

    def save_resumable(self, trainer: pl.Trainer) -> None:
        # every rank takes part in the save; rank 0 writes the file
        atomic_write(
            self.directory / RESUME_FILE, trainer.save_checkpoint, commit=trainer.is_global_zero
        )

    def on_exception(self, trainer: pl.Trainer, pl_module: Any, exception: BaseException) -> None:
        self._restore_handler()
        if isinstance(exception, NonFiniteLoss):
            return  # the weights are already poisoned: keep the last good files
        if isinstance(exception, KeyboardInterrupt) and not self._saved_on_stop:
            return  # a second Ctrl-C landed mid-step: the last whole state is on disk already
        if trainer.state.fn == "fit" and trainer.global_step > 0 and not self._saved_on_stop:
            self.save_resumable(trainer)

    def state_dict(self) -> dict[str, Any]:
        return {"best_score": self.best_score, "best_step": self.best_step}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.best_score = state_dict["best_score"]
        self.best_step = state_dict["best_step"]


class StepTimer(pl.Callback):
    """Wall time of each training step (forward, backward, optimizer), evaluation excluded."""

    def __init__(self, skip_first: int = 3) -> None:
        self.skip_first = skip_first
        self.times: list[float] = []
        self._start = 0.0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self._start = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.times.append(time.perf_counter() - self._start)

    @property
    def step_time(self) -> float | None:
        steady = self.times[self.skip_first :] or self.times
        return statistics.median(steady) if steady else None


def peak_memory_mb() -> float:
    """Peak memory of this process: CUDA's allocator peak on a GPU, the resident set on a CPU."""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        return torch.cuda.max_memory_allocated() / 2**20
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak_kb / 1024 if os.uname().sysname != "Darwin" else peak_kb / 2**20
