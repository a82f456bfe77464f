"""SLURM's side of a DDP job: one task per rank, so the launcher's `tasks_per_node` follows
`hardware.devices`. The preset conf/hydra/launcher/slurm.yaml reads it through a resolver:

    tasks_per_node: ${hyperpeft_ranks_per_node:${hardware.devices},${.gpus_per_node}}

Lightning's SLURM environment then checks that the tasks of a node match its devices.
"""

from __future__ import annotations

from omegaconf import OmegaConf

RESOLVER = "hyperpeft_ranks_per_node"


def ranks_per_node(devices: int, gpus_per_node: int | None) -> int:
    """`devices` processes per node; -1 (every GPU of the node) is one per GPU asked for."""
    if int(devices) == -1:
        return int(gpus_per_node or 1)
    return int(devices)


def register_resolvers() -> None:
    OmegaConf.register_new_resolver(RESOLVER, ranks_per_node, replace=True)
