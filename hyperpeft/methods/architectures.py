"""Where methods attach to each architecture: one table per architecture, matched on module names.

Methods never copy a model's forward code. They find the modules named in these tables with
`named_modules()` and hook their outputs (or inputs, for LoRA), so a new transformers release that
keeps the module names keeps working, and a new architecture is one more table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from torch import nn

from hyperpeft.errors import ConfigError

ATTENTION = "attention"
FEED_FORWARD = "feed_forward"
POSITIONS = (ATTENTION, FEED_FORWARD)


@dataclass(frozen=True)
class ArchitectureTable:
    """Regular expressions over `named_modules()` names.

    Attach patterns capture `stack` (encoder/decoder) and `layer` (its index in the stack); the
    hooked module's output is the sublayer output before dropout and the residual add.
    """

    attach: dict[str, str]  # position -> pattern of the module whose output gets the adapter
    lora_targets: str  # pattern of the linear layers LoRA adapts
    frozen: tuple[str, ...]  # patterns of modules only `full` may train (the LM head)
    layer_norm_classes: tuple[str, ...]  # class names of the architecture's layer norms


_LAYER = r"(?:.*\.)?(?P<stack>encoder|decoder)\.(?:layer|block)\.(?P<layer>\d+)\."

TABLES: dict[str, ArchitectureTable] = {
    # BertModel-like post-LN encoders: adapters on the output dense layers, before dropout,
    # residual and LayerNorm.
    "bert": ArchitectureTable(
        attach={
            ATTENTION: _LAYER + r"attention\.output\.dense$",
            FEED_FORWARD: _LAYER + r"output\.dense$",
        },
        lora_targets=_LAYER + r"attention\.self\.(?:query|value)$",
        frozen=(),
        layer_norm_classes=("LayerNorm",),
    ),
    # T5ForConditionalGeneration (pre-LN): adapters on the self-attention output projection and
    # on the feed-forward block output; never after cross-attention (EncDecAttention).
    # LoRA follows peft's default for T5: every `q` and `v`, cross-attention included.
    "t5": ArchitectureTable(
        attach={
            ATTENTION: _LAYER + r"layer\.0\.SelfAttention\.o$",
            FEED_FORWARD: _LAYER + r"layer\.\d+\.DenseReluDense$",
        },
        lora_targets=_LAYER + r"layer\.\d+\.(?:SelfAttention|EncDecAttention)\.(?:q|v)$",
        frozen=(r"(?:.*\.)?lm_head",),
        layer_norm_classes=("T5LayerNorm", "LayerNorm"),
    ),
}


@dataclass(frozen=True)
class AttachPoint:
    """One hooked module: which stack, layer and position it serves."""

    stack: str
    layer: int
    position: str
    module_name: str
    module: nn.Module


def table_for(architecture: str) -> ArchitectureTable:
    if architecture not in TABLES:
        raise ConfigError("model.architecture", architecture, f"one of {', '.join(sorted(TABLES))}")
    return TABLES[architecture]


def find_attach_points(
    model: nn.Module, architecture: str, positions: tuple[str, ...] = POSITIONS
) -> list[AttachPoint]:
    """Every adapter site of `model`, ordered by stack, layer and position."""
    table = table_for(architecture)
    points = []
    for name, module in model.named_modules():
        for position in positions:
            match = re.fullmatch(table.attach[position], name)
            if match:
                stack, layer = match["stack"], int(match["layer"])
                points.append(AttachPoint(stack, layer, position, name, module))
    if not points:
        raise ConfigError(
            "model.architecture",
            architecture,
            f"a model with the {architecture} module names (no module matched its attach points)",
        )
    order = {position: i for i, position in enumerate(POSITIONS)}
    return sorted(points, key=lambda p: (p.stack != "encoder", p.layer, order[p.position]))


def find_lora_targets(model: nn.Module, architecture: str) -> list[tuple[str, nn.Linear]]:
    table = table_for(architecture)
    targets = [
        (name, module)
        for name, module in model.named_modules()
        if isinstance(module, nn.Linear) and re.fullmatch(table.lora_targets, name)
    ]
    if not targets:
        raise ConfigError(
            "model.architecture",
            architecture,
            f"a model with the {architecture} module names (no LoRA target matched)",
        )
    return targets


def is_layer_norm(module: nn.Module, architecture: str) -> bool:
    return isinstance(module, nn.LayerNorm) or (
        type(module).__name__ in table_for(architecture).layer_norm_classes
    )


def is_frozen_module(name: str, architecture: str) -> bool:
    return any(re.fullmatch(pattern, name) for pattern in table_for(architecture).frozen)


def layers_per_stack(points: list[AttachPoint]) -> dict[str, int]:
    """Number of layers of each stack, from its attach points (layer ids start at 0)."""
    counts: dict[str, int] = {}
    for point in points:
        counts[point.stack] = max(counts.get(point.stack, 0), point.layer + 1)
    return counts
