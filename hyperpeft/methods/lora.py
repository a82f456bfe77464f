"""`lora`: low-rank updates `W + (alpha/r) B A` on the query and value projections (Hu et al.).

Targets are LoRA's own, the query and value projections, kept here as peft keeps its
`TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING`: by module layout (BERT-like encoders
`attention.self.query/value`; T5-like models every `q` and `v`, self- and cross-attention, as peft
does by default), and by `model_type` where a type names them otherwise (DeBERTa-v2). A new
backbone of a known layout needs no entry. `A` gets peft's Kaiming-uniform init and `B` zeros, so
a fresh LoRA leaves the backbone's outputs unchanged. `merge()` folds the update into
the backbone weights and removes the hooks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from hyperpeft.backbones.backbone import Backbone
from hyperpeft.backbones.families import LAYER
from hyperpeft.errors import ConfigError
from hyperpeft.methods.architectures import find_linear_layers
from hyperpeft.methods.config import MethodConfig
from hyperpeft.methods.method import Method
from hyperpeft.methods.registry import register

# layout (attach table name) -> pattern of the linear layers LoRA adapts
TARGETS_BY_LAYOUT: dict[str, str] = {
    "bert": LAYER + r"attention\.self\.(?:query|value)$",
    "t5": LAYER + r"layer\.\d+\.(?:SelfAttention|EncDecAttention)\.(?:q|v)$",
}
# model_type -> pattern, for types whose projections are named unlike their layout's
TARGETS_BY_MODEL_TYPE: dict[str, str] = {
    "deberta-v2": LAYER + r"attention\.self\.(?:query_proj|value_proj)$",
}


def lora_target_pattern(backbone: Backbone) -> str:
    pattern = TARGETS_BY_MODEL_TYPE.get(backbone.model_type)
    pattern = pattern or TARGETS_BY_LAYOUT.get(backbone.architecture.name)
    if pattern is None:
        raise ConfigError(
            "method",
            "lora",
            f"no LoRA targets for model type {backbone.model_type!r} "
            f"(layouts: {', '.join(TARGETS_BY_LAYOUT)}; types: {', '.join(TARGETS_BY_MODEL_TYPE)})",
        )
    return pattern


def lora_targets(backbone: Backbone) -> list[tuple[str, nn.Linear]]:
    """The backbone's query and value projections, by module name."""
    pattern = lora_target_pattern(backbone)
    return find_linear_layers(backbone.model, pattern, backbone.architecture, "LoRA's targets")


@dataclass
class LoraConfig(MethodConfig):
    rank: int = field(default=8, metadata={"help": "Rank r of the update B A."})
    alpha: float = field(
        default=8.0,
        metadata={
            "help": "Scale of the update is alpha / rank (1: the LoRA paper's GLUE setting)."
        },
    )
    dropout: float = field(default=0.0, metadata={"help": "Dropout on the LoRA branch input."})

    # The LoRA paper's GLUE rate for base-size encoders.
    default_learning_rates: ClassVar[dict[str, float]] = {"*": 5e-4}

    def validate(self, hidden_size: int) -> None:
        super().validate(hidden_size)
        if self.rank <= 0:
            raise ConfigError("method.rank", self.rank, "an integer > 0")
        if not 0 <= self.dropout < 1:
            raise ConfigError("method.dropout", self.dropout, "a number in [0, 1)")

    @property
    def scale(self) -> float:
        return self.alpha / self.rank


class LoraUpdate(nn.Module):
    """The `lora_A` (r, in) and `lora_B` (out, r) factors of one linear layer."""

    def __init__(self, in_features: int, out_features: int, rank: int) -> None:
        super().__init__()
        self.lora_A = nn.Parameter(torch.empty(rank, in_features))
        self.lora_B = nn.Parameter(torch.zeros(out_features, rank))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))

    def delta_weight(self) -> torch.Tensor:
        return self.lora_B @ self.lora_A


@register("lora", LoraConfig)
class LoraMethod(Method):
    config: LoraConfig

    def __init__(
        self, name: str, config: LoraConfig, backbone: Backbone, task_names: Sequence[str]
    ) -> None:
        super().__init__(name, config, backbone, task_names)
        self.lora = nn.ModuleDict()
        self._targets: list[tuple[nn.Linear, LoraUpdate]] = []
        self.merged = False
        for module_name, linear in lora_targets(backbone):
            update = LoraUpdate(linear.in_features, linear.out_features, config.rank)
            self.lora[module_name.replace(".", "-")] = update
            self._targets.append((linear, update))
            self.hook_output(linear, partial(self._add_update, update))

    def _add_update(
        self, update: LoraUpdate, module: nn.Module, args: Any, output: torch.Tensor
    ) -> torch.Tensor:
        """`output + scale * (x A^T) B^T`, the scale folded into `B` (out x r, small) and the
        sum accumulated by the second multiply itself, so no pass over the (tokens x out)
        output is spent on scaling or adding, forward or backward."""
        x = args[0]
        if self.config.dropout:
            x = F.dropout(x, self.config.dropout, module.training)
        h = F.linear(x, update.lora_A)
        scale = self.config.scale
        up = update.lora_B if scale == 1 else update.lora_B * scale
        out = torch.addmm(output.reshape(-1, output.shape[-1]), h.reshape(-1, h.shape[-1]), up.t())
        return out.view(output.shape)

    @torch.no_grad()
    def merge(self) -> None:
        """Fold `scale * B A` into each target weight and detach; inference then costs nothing."""
        if self.merged:
            raise RuntimeError("method lora: already merged")
        for linear, update in self._targets:
            delta = update.delta_weight() * self.config.scale
            linear.weight.add_(delta.to(linear.weight.dtype))
        self.detach()
        self.merged = True
