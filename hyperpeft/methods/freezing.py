"""Which backbone parameters train: nothing, then what the method asks for.

Methods add their own parameters to themselves; the backbone only has its `requires_grad` flags
set here, so "the trainable set" is always the requires_grad parameters of backbone and method.
"""

from __future__ import annotations

from torch import nn

from hyperpeft.backbones.families import ArchitectureTable
from hyperpeft.methods.architectures import is_frozen_module, is_layer_norm


def freeze(model: nn.Module) -> None:
    for parameter in model.parameters():
        parameter.requires_grad_(False)


def unfreeze_layer_norms(model: nn.Module, architecture: ArchitectureTable) -> int:
    """Make every layer norm (final ones included) trainable; return how many were found."""
    found = 0
    for name, module in model.named_modules():
        if is_layer_norm(module, architecture) and not is_frozen_module(name, architecture):
            for parameter in module.parameters(recurse=False):
                parameter.requires_grad_(True)
            found += 1
    return found


def unfreeze_biases(model: nn.Module, architecture: ArchitectureTable) -> None:
    """BitFit: every existing bias of the backbone, except in modules kept frozen (LM head)."""
    for name, module in model.named_modules():
        bias = getattr(module, "bias", None)
        if isinstance(bias, nn.Parameter) and not is_frozen_module(name, architecture):
            bias.requires_grad_(True)
