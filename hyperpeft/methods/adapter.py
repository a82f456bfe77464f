"""`adapter`: a bottleneck adapter per task after attention and feed-forward (Houlsby et al.).

With one task it is the single-task Adapter baseline of both papers; with several, the papers'
multi-task Adapter baseline (task-specific adapters over a shared frozen backbone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from torch import nn

from hyperpeft.errors import ConfigError
from hyperpeft.methods.config import BottleneckConfig
from hyperpeft.methods.layers.bottleneck import Bottleneck
from hyperpeft.methods.registry import register
from hyperpeft.methods.task_adapters import TaskAdapterMethod


@dataclass
class AdapterConfig(BottleneckConfig):
    init_std: float = field(
        default=1e-2, metadata={"help": "Std of the normal init of adapter weights."}
    )

    # Both papers' adapter runs on T5-base.
    default_learning_rates: ClassVar[dict[str, float]] = {"*": 3e-4}

    def validate(self, hidden_size: int) -> None:
        super().validate(hidden_size)
        if self.init_std < 0:
            raise ConfigError("method.init_std", self.init_std, "a number >= 0")


@register("adapter", AdapterConfig)
class AdapterMethod(TaskAdapterMethod):
    config: AdapterConfig

    def make_adapter(self) -> nn.Module:
        return Bottleneck(
            self.hidden_size,
            self.config.bottleneck_size(self.hidden_size),
            self.config.activation,
            self.config.init_std,
        )
