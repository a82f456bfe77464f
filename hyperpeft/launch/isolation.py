"""What one job leaves behind in its process, undone before the next job of the same process.

Lightning and torch.distributed keep their state in the process: the default process group and
environment variables (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, PL_GLOBAL_SEED, W&B's service, ...).
A process that runs several jobs (Hydra's basic launcher, a Ray worker that is reused) would
hand them to the next job, which then joins a dead group or an old port.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def isolated_job() -> Iterator[None]:
    """Run a job; afterwards destroy the process group it made and restore os.environ."""
    before = dict(os.environ)
    try:
        yield
    finally:
        destroy_process_group()
        restore_environment(before)


def destroy_process_group() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def restore_environment(before: dict[str, str]) -> None:
    """Drop the variables a job added, put back those it changed or removed."""
    for key in set(os.environ) - set(before):
        del os.environ[key]
    for key, value in before.items():
        if os.environ.get(key) != value:
            os.environ[key] = value
