"""Methods with one adapter per task at every attach point (adapter, compacter family).

Parameters are named `adapters.<stack>.<layer>.<position>.<task>.<...>`, one module per task, so
a task absent from a batch gets no gradient (None) and AdamW leaves its weights alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import torch
from torch import nn

from hyperpeft.backbones.backbone import Backbone
from hyperpeft.methods.architectures import AttachPoint, find_attach_points
from hyperpeft.methods.config import BottleneckConfig
from hyperpeft.methods.method import Method


class TaskAdapterMethod(Method):
    """Builds `make_adapter()` per task per site and runs the current task's on the site output."""

    config: BottleneckConfig

    def __init__(
        self, name: str, config: BottleneckConfig, backbone: Backbone, task_names: Sequence[str]
    ) -> None:
        super().__init__(name, config, backbone, task_names)
        self.adapters = nn.ModuleDict()
        self._per_task_sites: list[nn.ModuleDict] = []
        for point in find_attach_points(backbone.model, self.architecture, config.positions):
            if point.stack not in self.adapters:
                self.adapters[point.stack] = nn.ModuleDict()
            stack = self.adapters[point.stack]
            if str(point.layer) not in stack:
                stack[str(point.layer)] = nn.ModuleDict()
            per_task = nn.ModuleDict({task: self.make_adapter() for task in self.task_names})
            stack[str(point.layer)][point.position] = per_task
            self._per_task_sites.append(per_task)
            self.hook_output(point.module, partial(self._adapt, per_task, point))

    def task_adapters(self, task: str) -> list[nn.Module]:
        """`task`'s adapter at every site, in the order of the sites."""
        return [per_task[task] for per_task in self._per_task_sites]

    def make_adapter(self) -> nn.Module:
        raise NotImplementedError

    def run_adapter(self, adapter: nn.Module, x: torch.Tensor, point: AttachPoint) -> torch.Tensor:
        """`adapter` (the current task's at `point`) on the sublayer output `x`."""
        return adapter(x)

    def _adapt(
        self,
        per_task: nn.ModuleDict,
        point: AttachPoint,
        module: nn.Module,
        args: Any,
        output: torch.Tensor,
    ) -> torch.Tensor:
        """The hook at `point`: the current task's adapter on the sublayer output."""
        return self.run_adapter(per_task[self.task_name], output, point)
