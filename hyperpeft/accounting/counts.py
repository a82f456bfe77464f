"""Parameter counts with the papers' conventions.

- backbone: every parameter of the pretrained model (tied weights once). Methods never register
  parameters on the backbone, so this is the same before and after attaching one.
- trainable: every requires_grad parameter of backbone (e.g. layer norms), method and any extra
  modules (task heads), counted once.
- per task: trainable / number of tasks (task-specific + shared parameters / tasks), as the
  Hyperformer paper reports its 0.29% for 8 GLUE tasks.
Percentages are of the backbone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from torch import nn

if TYPE_CHECKING:
    from hyperpeft.methods.method import Method


def _unique(modules: Iterable[nn.Module]) -> list[nn.Parameter]:
    seen: dict[int, nn.Parameter] = {}
    for module in modules:
        for parameter in module.parameters():
            seen.setdefault(id(parameter), parameter)
    return list(seen.values())


def count_parameters(
    backbone_model: nn.Module, method: Method, extra_modules: Iterable[nn.Module] = ()
) -> dict[str, float | int]:
    backbone = sum(p.numel() for p in _unique([backbone_model]))
    everything = _unique([backbone_model, method, *extra_modules])
    trainable = sum(p.numel() for p in everything if p.requires_grad)
    n_tasks = max(len(method.task_names), 1)
    per_task = trainable / n_tasks
    return {
        "backbone": backbone,
        "trainable": trainable,
        "trainable_pct": 100.0 * trainable / backbone,
        "tasks": n_tasks,
        "per_task": per_task,
        "per_task_pct": 100.0 * per_task / backbone,
    }
