"""`hardware.threads`: how many CPU threads one run's matrix multiplies use.

0 leaves torch's choice (one per core this process may use, or OMP_NUM_THREADS where set).
Where runs share the cores (jobs of a sweep launched side by side on one machine, a test beside a
benchmark), give each its share: OpenMP threads of two processes on the same cores wait on each
other, and two 2-thread runs on 2 cores take several times as long as one after the other
(README, "Threads when jobs share the cores"). The value is also exported as OMP_NUM_THREADS, so processes the run starts
(Lightning's DDP ranks, data workers) get the same share instead of Lightning's own split.
"""

from __future__ import annotations

import os

import torch


def use_threads(threads: int) -> None:
    """Set this process's intra-op threads (and its children's); 0 changes nothing."""
    if threads <= 0:
        return
    torch.set_num_threads(threads)
    os.environ["OMP_NUM_THREADS"] = str(threads)
