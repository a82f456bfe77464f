"""Task heads for encoder backbones.

Each task gets its own small head on the masked mean of the last hidden states: classification
(num_labels logits), regression (one number) or multiple choice (one score per choice). Mean
pooling rather than BERT's pooler: all-MiniLM-L6-v2 was trained with mean pooling, and its pooler
weights were never trained, so with a frozen backbone the mean is the representation that carries
meaning. A head is one linear layer (d x classes), so its parameters barely move the table.

A regression head's bias starts at the mean of the task's training labels (given by the data
step): from a bias of 0, STS-B's 0-5 scores spend the first hundreds of steps on the offset.
Label smoothing applies to class and choice losses; the regression loss is plain MSE.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from hyperpeft.tasks.head import Head


def masked_mean(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)


class TaskHead(nn.Module):
    def __init__(
        self,
        hidden_size: int,
        kind: Head,
        num_labels: int,
        dropout: float,
        label_mean: float | None = None,
    ) -> None:
        """`label_mean`: a regression head's starting bias (the training labels' mean)."""
        super().__init__()
        self.kind = Head(kind)
        outputs = num_labels if self.kind == Head.CLASSIFICATION else 1
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, outputs)
        if self.kind == Head.REGRESSION and label_mean is not None:
            nn.init.constant_(self.classifier.bias, label_mean)

    def forward(self, pooled: torch.Tensor, choice_mask: torch.Tensor | None) -> torch.Tensor:
        logits = self.classifier(self.dropout(pooled))
        if self.kind == Head.REGRESSION:
            return logits.squeeze(-1)
        if self.kind == Head.MULTIPLE_CHOICE:
            scores = logits.view(choice_mask.shape)  # [batch, choices]
            return scores.masked_fill(~choice_mask, torch.finfo(scores.dtype).min)
        return logits

    def loss(
        self,
        logits: torch.Tensor,
        labels: torch.Tensor,
        label_smoothing: float = 0.0,
        choice_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """MSE for regression; cross-entropy, smoothed over the classes, or over the real
        choices only (`choice_mask`: padded choices get no share of the smoothing)."""
        if self.kind == Head.REGRESSION:
            return nn.functional.mse_loss(logits, labels)
        if self.kind == Head.MULTIPLE_CHOICE and label_smoothing and choice_mask is not None:
            return smoothed_choice_loss(logits, labels, label_smoothing, choice_mask)
        return nn.functional.cross_entropy(logits, labels, label_smoothing=label_smoothing)

    def predict(self, logits: torch.Tensor) -> list[Any]:
        if self.kind == Head.REGRESSION:
            return logits.float().tolist()
        return logits.argmax(-1).tolist()


def smoothed_choice_loss(
    scores: torch.Tensor, labels: torch.Tensor, epsilon: float, choice_mask: torch.Tensor
) -> torch.Tensor:
    """`(1 - epsilon) * nll + epsilon * mean over the real choices of -log p`: cross-entropy's
    label smoothing with the uniform share spread over each example's own choices."""
    log_probs = scores.log_softmax(-1)
    nll = -log_probs.gather(-1, labels[:, None]).squeeze(-1)
    choices = choice_mask.sum(-1).to(log_probs.dtype)
    uniform = -log_probs.masked_fill(~choice_mask, 0.0).sum(-1) / choices
    return ((1 - epsilon) * nll + epsilon * uniform).mean()


class TaskHeads(nn.ModuleList):
    """One head per task, indexed like the task list."""

    def __init__(
        self,
        hidden_size: int,
        tasks: Sequence[Any],
        dropout: float = 0.1,
        label_means: Mapping[str, float] | None = None,
    ) -> None:
        means = label_means or {}
        super().__init__(
            [
                TaskHead(hidden_size, task.head, task.num_labels, dropout, means.get(task.name))
                for task in tasks
            ]
        )
