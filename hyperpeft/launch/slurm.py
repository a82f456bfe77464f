"""SLURM's side of a DDP job: one task per rank, so the launcher's `tasks_per_node` follows
`hardware.devices`. The preset conf/hydra/launcher/slurm.yaml reads it through a resolver:

    tasks_per_node: ${hyperpeft_ranks_per_node:${hardware.devices},${.gpus_per_node}}

Lightning's SLURM environment then checks that the tasks of a node match its devices.

On a machine without SLURM, submitit's executor raises when the launcher starts; that becomes
one line naming the launcher and what runs the jobs here instead (`no_slurm_message`).
"""

from __future__ import annotations

from omegaconf import OmegaConf

RESOLVER = "hyperpeft_ranks_per_node"
# what submitit's SlurmExecutor raises where `srun` is not on PATH
_NO_SRUN = 'Could not detect "srun"'


def ranks_per_node(devices: int, gpus_per_node: int | None) -> int:
    """`devices` processes per node; -1 (every GPU of the node) is one per GPU asked for."""
    if int(devices) == -1:
        return int(gpus_per_node or 1)
    return int(devices)


def register_resolvers() -> None:
    OmegaConf.register_new_resolver(RESOLVER, ranks_per_node, replace=True)


def no_slurm_message(err: BaseException) -> str | None:
    """The line for submitit's "no srun here" error (None for any other error)."""
    while err is not None:
        if isinstance(err, RuntimeError) and _NO_SRUN in str(err):
            return (
                "hydra/launcher=slurm: this machine has no SLURM (`srun` is not on PATH); "
                "submit from a cluster's login node, or run the jobs here with "
                "hydra/launcher=local or hydra/launcher=ray-local"
            )
        err = err.__cause__ or err.__context__
    return None
