"""The `Method` base class: an nn.Module that owns every parameter a method adds to a backbone.

A method attaches to a backbone through forward hooks on named submodules, freezes the backbone
(then unfreezes what the method trains) and holds the current task between `set_task` and the
forward pass. Its own parameters are exactly `method.parameters()`, so saving or counting "the
method's weights" needs no bookkeeping; the backbone's trainable part is its `requires_grad` flags.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

from hyperpeft.backbones.backbone import Backbone
from hyperpeft.methods.config import MethodConfig
from hyperpeft.methods.freezing import freeze, unfreeze_layer_norms

OutputHook = Callable[[nn.Module, tuple[Any, ...], torch.Tensor], torch.Tensor]


class Method(nn.Module):
    """Base of every method; subclasses add parameters and hooks in their constructor."""

    # Methods with per-task weights that are produced in `set_task` (hypernetworks) need it
    # called before every forward, even with a single task.
    task_required_each_step = False

    def __init__(
        self, name: str, config: MethodConfig, backbone: Backbone, task_names: Sequence[str]
    ) -> None:
        super().__init__()
        self.name = name
        self.config = config
        self.architecture = backbone.architecture
        self.family = backbone.family.name
        self.hidden_size = backbone.hidden_size
        self.task_names = tuple(task_names)
        self._task_index: int | None = None
        self._handles: list[RemovableHandle] = []
        freeze(backbone.model)
        if config.train_layer_norms:
            unfreeze_layer_norms(backbone.model, backbone.architecture)

    @property
    def learning_rate(self) -> float:
        return self.config.resolved_learning_rate(self.family)

    def set_task(self, task_index: int) -> None:
        """Select the task of the next forward passes (every batch holds one task)."""
        if self.task_names and not 0 <= task_index < len(self.task_names):
            raise IndexError(
                f"method {self.name}: task index {task_index} out of range for tasks "
                f"{list(self.task_names)}"
            )
        self._task_index = task_index

    @property
    def task_index(self) -> int:
        """The current task; a multi-task forward pass without `set_task` is a bug upstream."""
        if self._task_index is None:
            if len(self.task_names) == 1 and not self.task_required_each_step:
                return 0
            raise RuntimeError(
                f"method {self.name}: call set_task(task_index) before the forward pass "
                f"(tasks: {list(self.task_names)})"
            )
        return self._task_index

    @property
    def task_name(self) -> str:
        return self.task_names[self.task_index]

    def merge(self) -> None:
        raise NotImplementedError(f"method {self.name} has no weights to merge into the backbone")

    def detach(self) -> None:
        """Remove every hook, so the backbone runs as if the method had never been attached."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    @property
    def attached(self) -> bool:
        return bool(self._handles)

    def hook_output(self, module: nn.Module, hook: OutputHook) -> None:
        """Replace `module`'s output by `hook(module, args, output)` on every call."""
        self._handles.append(module.register_forward_hook(hook))
