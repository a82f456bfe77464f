"""AdamW with linear warmup and linear decay, as both papers trained."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from transformers import get_linear_schedule_with_warmup


def configure_adamw(
    parameters: Iterable[torch.nn.Parameter],
    learning_rate: float,
    weight_decay: float,
    warmup_steps: int,
    total_steps: int,
) -> dict:
    trainable = [p for p in parameters if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=learning_rate, weight_decay=weight_decay)
    schedule = get_linear_schedule_with_warmup(optimizer, warmup_steps, max(total_steps, 1))
    return {
        "optimizer": optimizer,
        "lr_scheduler": {"scheduler": schedule, "interval": "step", "frequency": 1},
    }
