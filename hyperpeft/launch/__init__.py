"""One job of a multirun or sweep, wherever Hydra's launcher runs it; and its DDP ranks.

Hydra's launchers (basic, submitit, Ray) run each job's task function in some process. A job
that trains on one process runs there. A job that asks for several (`hardware=ddp-cpu`,
`hardware=multi-gpu`) needs its ranks:
- on SLURM (hydra/launcher=submitit_slurm with `tasks_per_node` = devices), or when a launcher
  such as torchrun started this process, the ranks already exist: each is one SLURM task or one
  torchrun worker running this same job, and Lightning's cluster environment connects them;
- anywhere else (the basic launcher, submitit_local, Ray), torchrun starts them on this machine,
  each running this one job's composed config (`hyperpeft.launch.rank`), not the command line:
  Lightning's own start re-runs `sys.argv`, which under `-m` is the whole multirun again.
Every job is wrapped in `isolated_job`, so a process that runs several jobs one after another
(the basic launcher, a reused Ray worker) starts each without the last one's process group or
distributed environment variables.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from hyperpeft.launch.isolation import isolated_job
from hyperpeft.launch.ranks import (
    ranks_to_start,
    refuse_local_tasks,
    run_in_own_ranks,
    started_as_rank,
)

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from hyperpeft.results import RunResult

__all__ = [
    "isolated_job",
    "ranks_to_start",
    "run_in_own_ranks",
    "run_multirun_job",
    "started_as_rank",
]


def run_multirun_job(cfg: DictConfig, run_dir: Path) -> RunResult:
    """Run one job of `-m`: here, or in ranks of its own when it needs several processes."""
    refuse_local_tasks()
    with isolated_job():
        if ranks_to_start(cfg.hardware) is not None:
            return run_in_own_ranks(cfg, run_dir)
        from hyperpeft.recipe import run

        return run(cfg, run_dir)
