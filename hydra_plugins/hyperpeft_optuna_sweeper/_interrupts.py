"""Ctrl-C (SIGINT) and SIGTERM (`kill`, a SLURM time limit on the sweep itself) end a sweep, and
the trials in flight are recorded as failed rather than left RUNNING in the storage.

A signal raises KeyboardInterrupt wherever the main thread is at that moment. When that is
inside a weakref callback or a `__del__` run by the garbage collector (SQLAlchemy runs such
callbacks while Optuna's storage is in use), Python prints "Exception ignored" and drops the
exception, so the job would go on as if nothing had happened. The signal is therefore also
remembered, and `check()` raises it again at the sweep's next safe point (after a batch of jobs
returns).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupts:
    def __init__(self) -> None:
        self.received: str | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            for signum in SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)  # type: ignore[arg-type]
        self._previous.clear()

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.received = signal.Signals(signum).name
        raise KeyboardInterrupt(f"signal {self.received}")

    def check(self) -> None:
        """Raise the signal received since the sweep began, if any was (and was swallowed)."""
        if self.received is not None:
            raise KeyboardInterrupt(f"signal {self.received}")
