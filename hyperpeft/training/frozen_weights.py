"""The bf16 path: the frozen backbone's matrices stored in bfloat16 once, before training.

Under `bf16-mixed`, autocast computes every matrix multiply in bfloat16 but keeps weights in float32
and casts them again on each call; its cast cache holds only weights that require gradients, so a
frozen backbone's weights are re-cast every forward (and their float32 copies read from memory).
Storing the frozen linear and embedding weights in bfloat16 removes those casts and halves the
memory they take. What trains stays float32, as do the optimizer state, every layer norm (bias-free
T5 norms included) and the heads: only `nn.Linear` and `nn.Embedding` tensors that do not require
gradients change. Full fine-tuning has nothing frozen and keeps float32 master weights.
"""

from __future__ import annotations

import pytorch_lightning as pl
import torch
from torch import nn

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}
MATRIX_MODULES = (nn.Linear, nn.Embedding)


def store_frozen_weights(model: nn.Module, dtype: torch.dtype) -> int:
    """Cast the frozen tensors of `model`'s linear and embedding layers to `dtype`, in place;
    return how many elements were cast. Tied weights (T5's shared embedding and LM head) are one
    parameter and are cast once."""
    cast = 0
    seen: set[int] = set()
    for module in model.modules():
        if not isinstance(module, MATRIX_MODULES):
            continue
        for parameter in module.parameters(recurse=False):
            if parameter.requires_grad or id(parameter) in seen or parameter.dtype == dtype:
                continue
            seen.add(id(parameter))
            parameter.data = parameter.data.to(dtype)
            cast += parameter.numel()
    return cast


class StoreFrozenWeights(pl.Callback):
    """Casts the backbone's frozen matrices when a fit starts (the trainable set is final by then:
    the method is attached and `checkpoint=`/`init_from=` weights are loaded)."""

    def __init__(self, dtype: str) -> None:
        self.dtype = DTYPES[dtype]

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        store_frozen_weights(pl_module.backbone, self.dtype)
