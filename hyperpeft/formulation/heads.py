"""Task heads for encoder backbones.

Each task gets its own small head on the masked mean of the last hidden states: classification
(num_labels logits), regression (one number) or multiple choice (one score per choice). Mean
pooling rather than BERT's pooler: all-MiniLM-L6-v2 was trained with mean pooling, and its pooler
weights were never trained, so with a frozen backbone the mean is the representation that carries
meaning. A head is one linear layer (d x classes), so its parameters barely move the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from hyperpeft.tasks.head import Head


def masked_mean(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)


class TaskHead(nn.Module):
    def __init__(self, hidden_size: int, kind: Head, num_labels: int, dropout: float) -> None:
        super().__init__()
        self.kind = Head(kind)
        outputs = num_labels if self.kind == Head.CLASSIFICATION else 1
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, outputs)

    def forward(self, pooled: torch.Tensor, choice_mask: torch.Tensor | None) -> torch.Tensor:
        logits = self.classifier(self.dropout(pooled))
        if self.kind == Head.REGRESSION:
            return logits.squeeze(-1)
        if self.kind == Head.MULTIPLE_CHOICE:
            scores = logits.view(choice_mask.shape)  # [batch, choices]
            return scores.masked_fill(~choice_mask, torch.finfo(scores.dtype).min)
        return logits

    def loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if self.kind == Head.REGRESSION:
            return nn.functional.mse_loss(logits, labels)
        return nn.functional.cross_entropy(logits, labels)

    def predict(self, logits: torch.Tensor) -> list[Any]:
        if self.kind == Head.REGRESSION:
            return logits.float().tolist()
        return logits.argmax(-1).tolist()


class TaskHeads(nn.ModuleList):
    """One head per task, indexed like the task list."""

    def __init__(self, hidden_size: int, tasks: Sequence[Any], dropout: float = 0.1) -> None:
        super().__init__(
            [TaskHead(hidden_size, task.head, task.num_labels, dropout) for task in tasks]
        )
