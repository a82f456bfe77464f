"""Which errors out of `launcher.launch` mean that a job died, not that the launcher is broken.

A job's own exception comes back in its `JobReturn`, and the sweeper records that trial. A job
whose process died (killed for memory, a SLURM time limit, a lost node) has no return value, and
Hydra's launchers then raise from `launch` for the whole batch: the batch's trials are recorded
as failed and the study goes on. Anything else (no sbatch on this machine, a Ray cluster that
cannot be reached) stops the sweep, so that a rerun, once it is fixed, finds its trials unspent.
"""

from __future__ import annotations

import importlib
import sys

# (module, exception class) of the launchers' libraries; a module not imported raised nothing.
JOB_DIED = (
    ("submitit.core.utils", "UncompletedJobError"),  # and FailedJobError, its subclass
    ("ray.exceptions", "RayTaskError"),
    ("ray.exceptions", "WorkerCrashedError"),
    ("ray.exceptions", "NodeDiedError"),
    ("ray.exceptions", "OutOfMemoryError"),
)


def job_died(error: BaseException) -> bool:
    """Whether `error` says that one of the launched jobs died without a return value."""
    for module_name, class_name in JOB_DIED:
        if module_name.partition(".")[0] not in sys.modules:
            continue
        died = getattr(importlib.import_module(module_name), class_name, None)
        if died is not None and isinstance(error, died):
            return True
    return False
