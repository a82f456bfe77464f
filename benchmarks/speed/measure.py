"""What every worker process shares, ours and the peers': threads, the clock, memory, a loop.

Imports torch and the standard library only, so the peers' environment can import it too.
On a GPU the clock synchronises the device before each reading: a step's time is then the time
its kernels took, not the time Python took to queue them.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any, Protocol

import torch

Batch = dict[str, Any]


class Runner(Protocol):
    """One cell, built: trains on batches, returning each step's seconds."""

    info: dict

    def train(self, batches: list[Batch]) -> list[float]: ...

    def forward_backward(self, batch: Batch) -> None:
        """One step's arithmetic (forward and backward), for counting its FLOPs."""


def fix_threads(threads: int) -> None:
    torch.set_num_threads(threads)


class Clock:
    def __init__(self, device: str) -> None:
        self.cuda = device.startswith("cuda")

    def now(self) -> float:
        if self.cuda:
            torch.cuda.synchronize()
        return time.perf_counter()


def time_each(step: Callable[[Batch], None], batches: list[Batch], clock: Clock) -> list[float]:
    times = []
    for batch in batches:
        start = clock.now()
        step(batch)
        times.append(clock.now() - start)
    return times


def current_rss_mb() -> float:
    """The resident set now (Linux), or NaN where /proc is missing."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except OSError:
        return float("nan")
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_memory_mb(device: str) -> float:
    """The process's peak: CUDA's allocator peak on a GPU, the peak resident set on a CPU
    (everything the process held at its worst moment, interpreter and libraries too).

    On Linux the peak is the memory map's high-water mark (VmHWM), which starts afresh when the
    worker's program is loaded; getrusage's ru_maxrss would carry over the parent's resident
    set from before the exec, so every worker would report at least its launcher's size.
    """
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def to_device(batch: Batch, device: str) -> Batch:
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
