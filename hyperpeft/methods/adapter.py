"""`adapter`: a bottleneck adapter per task after attention and feed-forward (Houlsby et al.).

With one task it is the single-task Adapter baseline of both papers; with several, the papers'
multi-task Adapter baseline (task-specific adapters over a shared frozen backbone).

As the Hyperformer reference's adapter (rabeehk/hyperformer, `AdapterController` with its
default `add_layer_norm_after_adapter`), a layer norm sits on the adapter's output before the
residual add, one per attach point shared by the tasks: `y = x + LN(up(act(down(x))))`. The
Compacter reference's adapter configs switch it off (`method.layer_norm_after=false`), which is
the configuration behind the Compacter paper's 0.832% on T5-base.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import torch
from torch import nn

from hyperpeft.backbones.backbone import Backbone
from hyperpeft.errors import ConfigError
from hyperpeft.methods.architectures import AttachPoint
from hyperpeft.methods.config import BottleneckConfig
from hyperpeft.methods.layers.bottleneck import Bottleneck
from hyperpeft.methods.registry import register
from hyperpeft.methods.task_adapters import TaskAdapterMethod


@dataclass
class AdapterConfig(BottleneckConfig):
    init_std: float = field(
        default=1e-2, metadata={"help": "Std of the normal init of adapter weights."}
    )
    layer_norm_after: bool = field(
        default=True,
        metadata={
            "help": "A layer norm on the adapter output before the residual, one per attach "
            "point shared by the tasks (Hyperformer's reference adapter: true; Compacter's "
            "reference adapter configs: false)."
        },
    )

    # Both papers' adapter runs on T5-base.
    default_learning_rates: ClassVar[dict[str, float]] = {"*": 3e-4}
    # rabeehk/hyperformer's adapters.json and adapter_dagger.json: "label_smoothing": 0.1.
    default_label_smoothing: ClassVar[float] = 0.1

    def validate(self, hidden_size: int) -> None:
        super().validate(hidden_size)
        if self.init_std < 0:
            raise ConfigError("method.init_std", self.init_std, "a number >= 0")


def zero_layer_norm(hidden: int) -> nn.LayerNorm:
    """The adapter's output norm, gamma and beta at zero: a fresh adapter leaves the backbone's
    output unchanged (the spec's near-identity rule), as the hypernetworks' generated norms do.
    The reference starts gamma at 1, which adds a unit-scale vector to every sublayer output
    of a fresh model; the gradient reaches gamma from the first step, and the adapter's weights
    once gamma has moved."""
    norm = nn.LayerNorm(hidden)
    nn.init.zeros_(norm.weight)
    return norm


@register("adapter", AdapterConfig)
class AdapterMethod(TaskAdapterMethod):
    config: AdapterConfig

    def __init__(
        self, name: str, config: AdapterConfig, backbone: Backbone, task_names: Sequence[str]
    ) -> None:
        super().__init__(name, config, backbone, task_names)
        # norms.<stack>.<layer>.<position>: shared by the tasks, as the reference's controller
        self.norms = nn.ModuleDict()
        if config.layer_norm_after:
            for stack, layers in self.adapters.items():
                self.norms[stack] = nn.ModuleDict(
                    {
                        layer: nn.ModuleDict(
                            {position: zero_layer_norm(self.hidden_size) for position in sites}
                        )
                        for layer, sites in layers.items()
                    }
                )

    def make_adapter(self) -> nn.Module:
        return Bottleneck(
            self.hidden_size,
            self.config.bottleneck_size(self.hidden_size),
            self.config.activation,
            self.config.init_std,
        )

    def run_adapter(self, adapter: nn.Module, x: torch.Tensor, point: AttachPoint) -> torch.Tensor:
        norm = (
            self.norms[point.stack][str(point.layer)][point.position]
            if self.config.layer_norm_after
            else None
        )
        return adapter(x, norm)
