"""How Lightning writes the resumable state: `torch.save` straight into the file.

Lightning's `TorchCheckpointIO` serialises the whole checkpoint into an in-memory buffer and
copies it out again before writing (`lightning_fabric.utilities.cloud_io._atomic_save`, built for
object stores), so every save holds the checkpoint about twice in memory on top of the live
state. For full fine-tuning that is the model and its optimizer state twice over (on minilm it
was 281 MB of the speed benchmark's peak: BENCHMARKS.md, "Full fine-tuning's memory,
profiled"). Our run folders are local
files and `hyperpeft.atomic.atomic_write` already makes each save atomic (a temporary file,
flushed, renamed), so the buffer buys nothing here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from pytorch_lightning.plugins import TorchCheckpointIO


class DirectCheckpointIO(TorchCheckpointIO):
    """Lightning's checkpoint IO, saving without the in-memory copy (loading as Lightning's)."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: str | Path, storage_options: Any | None = None
    ) -> None:
        if storage_options is not None:
            raise TypeError("storage_options: not supported by hyperpeft's local checkpoints")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(checkpoint, path)
