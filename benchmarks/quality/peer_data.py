"""The tensors file that gives a peer exactly our data: one task's training batches in the order
our run draws them, and its validation and test halves in evaluation batches.

Written on our side (`benchmarks.quality.peer_export`), read by the peer worker in the peers'
environment, so this file imports torch and the standard library only. Every batch is a dict of
tensors (`input_ids`, `attention_mask`, `token_type_ids`, `labels`, `example_index`): the
collator's output, dynamic padding and all.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

Batch = dict[str, Any]
SPLITS = ("train", "validation", "test")
TENSOR_KEYS = ("input_ids", "attention_mask", "token_type_ids", "labels", "example_index")


def plain_batch(batch: Batch) -> Batch:
    """The batch's tensors only (the collator adds a task index, an int, which a peer of one task
    does not need)."""
    return {key: batch[key] for key in TENSOR_KEYS if key in batch}


def save_task_tensors(path: Path, splits: dict[str, list[Batch]], meta: dict) -> None:
    """Atomically: a worker never reads half a file."""
    path = Path(path)
    tmp = path.with_suffix(".tmp")
    torch.save(
        {"splits": {s: [plain_batch(b) for b in splits[s]] for s in SPLITS}, "meta": meta}, tmp
    )
    os.replace(tmp, path)


def load_task_tensors(path: Path) -> tuple[dict[str, list[Batch]], dict]:
    saved = torch.load(Path(path), weights_only=True)
    return saved["splits"], saved["meta"]
