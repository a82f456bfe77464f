"""Finding the modules methods attach to, from the backbone's attach table.

Methods never copy a model's forward code. They find the modules its `ArchitectureTable` names
(hyperpeft/backbones/families.py) with `named_modules()` and hook their outputs, so a new
transformers release that keeps the module names keeps working.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from torch import nn

from hyperpeft.backbones.families import ATTENTION, FEED_FORWARD, POSITIONS, ArchitectureTable
from hyperpeft.errors import ConfigError

__all__ = [
    "ATTENTION",
    "FEED_FORWARD",
    "POSITIONS",
    "AttachPoint",
    "find_attach_points",
    "find_linear_layers",
    "is_frozen_module",
    "is_layer_norm",
    "layers_per_stack",
]


@dataclass(frozen=True)
class AttachPoint:
    """One hooked module: which stack, layer and position it serves."""

    stack: str
    layer: int
    position: str
    module_name: str
    module: nn.Module


def _no_match(architecture: ArchitectureTable, what: str) -> ConfigError:
    return ConfigError(
        "model.architecture",
        architecture.name,
        f"a model with the {architecture.name} module names (no module matched {what})",
    )


def find_attach_points(
    model: nn.Module, architecture: ArchitectureTable, positions: tuple[str, ...] = POSITIONS
) -> list[AttachPoint]:
    """Every adapter site of `model`, ordered by stack, layer and position."""
    points = []
    for name, module in model.named_modules():
        for position in positions:
            match = re.fullmatch(architecture.attach[position], name)
            if match:
                stack, layer = match["stack"], int(match["layer"])
                points.append(AttachPoint(stack, layer, position, name, module))
    if not points:
        raise _no_match(architecture, "its attach points")
    order = {position: i for i, position in enumerate(POSITIONS)}
    return sorted(points, key=lambda p: (p.stack != "encoder", p.layer, order[p.position]))


def find_linear_layers(
    model: nn.Module, pattern: str, architecture: ArchitectureTable, what: str
) -> list[tuple[str, nn.Linear]]:
    """The linear layers whose names match `pattern` (a method's own targets, named `what`)."""
    found = [
        (name, module)
        for name, module in model.named_modules()
        if isinstance(module, nn.Linear) and re.fullmatch(pattern, name)
    ]
    if not found:
        raise _no_match(architecture, what)
    return found


def is_layer_norm(module: nn.Module, architecture: ArchitectureTable) -> bool:
    return isinstance(module, nn.LayerNorm) or (
        type(module).__name__ in architecture.layer_norm_classes
    )


def is_frozen_module(name: str, architecture: ArchitectureTable) -> bool:
    return any(re.fullmatch(pattern, name) for pattern in architecture.frozen)


def layers_per_stack(points: list[AttachPoint]) -> dict[str, int]:
    """Number of layers of each stack, from its attach points (layer ids start at 0)."""
    counts: dict[str, int] = {}
    for point in points:
        counts[point.stack] = max(counts.get(point.stack, 0), point.layer + 1)
    return counts
