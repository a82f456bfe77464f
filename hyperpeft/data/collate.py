"""Dynamic padding: each batch is padded to its own longest sequence, never to `max_length`.

What a batch holds beyond its input ids depends on the formulation (task heads or text-to-text),
which builds it from the helpers here; the `Collator` adds which task and examples it holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch

from hyperpeft.data.features import Features

if TYPE_CHECKING:
    from hyperpeft.formulation.base import Formulation
    from hyperpeft.tasks.base import Task

IGNORE_INDEX = -100


def pad(rows: Sequence[Sequence[int]], value: int, width: int | None = None) -> torch.Tensor:
    """`rows` as one `[len(rows), width]` tensor, right-padded with `value`."""
    width = width or max(len(row) for row in rows)
    out = torch.full((len(rows), width), value, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.as_tensor(row, dtype=torch.long)
    return out


def pad_inputs(sequences: Sequence[Sequence[int]], pad_token_id: int) -> dict[str, torch.Tensor]:
    """`input_ids` and `attention_mask` of `sequences`."""
    input_ids = pad(sequences, pad_token_id)
    attention_mask = (input_ids != pad_token_id).long()
    # a sequence that is only padding still needs one visible token for attention to be defined
    attention_mask[:, 0] = 1
    return {"input_ids": input_ids, "attention_mask": attention_mask}


class Collator:
    """Pads a list of `(example_index, Features)` of one task into a batch of tensors."""

    def __init__(
        self, pad_token_id: int, task_index: int, task: Task, formulation: Formulation
    ) -> None:
        self.pad_token_id = pad_token_id
        self.task_index = task_index
        self.task = task
        self.formulation = formulation

    def __call__(self, items: Sequence[tuple[int, Features]]) -> dict[str, Any]:
        batch: dict[str, Any] = {
            "task_index": self.task_index,
            "example_index": torch.tensor([i for i, _ in items], dtype=torch.long),
        }
        features = [f for _, f in items]
        batch.update(self.formulation.collate(self.task, features, self.pad_token_id))
        return batch
