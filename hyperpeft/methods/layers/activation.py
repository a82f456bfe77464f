"""Adapter non-linearities by the names the papers' configs use."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torch
import torch.nn.functional as F

Activation = Callable[[torch.Tensor], torch.Tensor]

# gelu_new is GPT-2's tanh approximation of GELU; F.gelu(approximate="tanh") computes the same
# formula in one fused kernel, unlike transformers' Python NewGELUActivation.
ACTIVATIONS: dict[str, Activation] = {
    "gelu_new": partial(F.gelu, approximate="tanh"),
    "gelu": F.gelu,
    "relu": F.relu,
    "swish": F.silu,
    "silu": F.silu,
    "tanh": torch.tanh,
}
