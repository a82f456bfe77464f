"""Dynamic padding: each batch is padded to its own longest sequence, never to `max_length`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from hyperpeft.data.features import Features
from hyperpeft.tasks.head import Head

IGNORE_INDEX = -100


def _pad(rows: Sequence[Sequence[int]], value: int, width: int | None = None) -> torch.Tensor:
    width = width or max(len(row) for row in rows)
    out = torch.full((len(rows), width), value, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.as_tensor(row, dtype=torch.long)
    return out


class Collator:
    """Pads a list of `(example_index, Features)` of one task into tensors.

    Multiple choice (several sequences per example) becomes `[batch * max_choices, length]` with
    `choice_mask [batch, max_choices]`; padded choices are empty sequences masked out of the loss.
    """

    def __init__(self, pad_token_id: int, task_index: int, head: Head) -> None:
        self.pad_token_id = pad_token_id
        self.task_index = task_index
        self.head = Head(head)

    def __call__(self, items: Sequence[tuple[int, Features]]) -> dict[str, Any]:
        features = [f for _, f in items]
        num_choices = max(len(f.input_ids) for f in features)
        sequences, types, choice_mask = [], [], []
        for f in features:
            padding = num_choices - len(f.input_ids)
            sequences += f.input_ids + [[self.pad_token_id]] * padding
            if f.token_type_ids is not None:
                types += f.token_type_ids + [[0]] * padding
            choice_mask.append([1] * len(f.input_ids) + [0] * padding)
        input_ids = _pad(sequences, self.pad_token_id)
        batch: dict[str, Any] = {
            "task_index": self.task_index,
            "example_index": torch.tensor([i for i, _ in items], dtype=torch.long),
            "input_ids": input_ids,
            "attention_mask": (input_ids != self.pad_token_id).long(),
        }
        # a sequence that is only padding still needs one visible token for attention to be defined
        batch["attention_mask"][:, 0] = 1
        if types:
            batch["token_type_ids"] = _pad(types, 0, input_ids.shape[1])
        if self.head == Head.MULTIPLE_CHOICE:
            batch["choice_mask"] = torch.tensor(choice_mask, dtype=torch.bool)
        if features[0].target_ids is not None:
            batch["labels"] = _pad([f.target_ids for f in features], IGNORE_INDEX)
        else:
            dtype = torch.float if self.head == Head.REGRESSION else torch.long
            batch["labels"] = torch.tensor([f.label for f in features], dtype=dtype)
        return batch
