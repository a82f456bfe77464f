"""Checkpoints: the trained parameters alone (safetensors), written atomically.

`model.safetensors` holds the best weights by mean validation score, with the config that rebuilds
the run in its metadata; `last.ckpt` is Lightning's resumable state (optimizer, schedule, step),
its state dict also cut down to the trained parameters.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save, save_file

from hyperpeft.atomic import atomic_write
from hyperpeft.errors import ConfigError

CHECKPOINT_DIR = "checkpoint"  # inside the run folder, holding the two files below
WEIGHTS_FILE = "model.safetensors"
RESUME_FILE = "last.ckpt"


def atomic_save_weights(state: dict[str, torch.Tensor], path: Path, metadata: dict) -> None:
    encoded = {"hyperpeft": json.dumps(metadata)}
    atomic_write(path, lambda tmp: save_file(state, str(tmp), metadata=encoded))


def checkpoint_bytes(state: dict[str, torch.Tensor], metadata: dict) -> int:
    """The exact size of the file `atomic_save_weights` would write (meta tensors count too:
    the size depends on names, shapes and dtypes only, so zeros of their shape stand in)."""
    real = {
        name: torch.zeros(t.shape, dtype=t.dtype) if t.is_meta else t for name, t in state.items()
    }
    return len(save(real, metadata={"hyperpeft": json.dumps(metadata)}))


def read_weights(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    path = Path(path)
    if path.is_dir():
        path = path / WEIGHTS_FILE
    if not path.exists():
        raise ConfigError("checkpoint", str(path), "no such file; give a run's model.safetensors")
    tensors = {}
    with safe_open(str(path), framework="pt") as handle:
        metadata = _metadata(handle)
        for key in handle.keys():  # noqa: SIM118 - safe_open is not a mapping
            tensors[key] = handle.get_tensor(key)
    return tensors, metadata


def read_metadata(path: str | Path) -> dict[str, Any]:
    """What `atomic_save_weights` recorded beside the weights (the run's config among it),
    without reading the weights."""
    with safe_open(str(path), framework="pt") as handle:
        return _metadata(handle)


def _metadata(handle: Any) -> dict[str, Any]:
    return json.loads((handle.metadata() or {}).get("hyperpeft", "{}"))


def load_trained_weights(module: torch.nn.Module, path: str | Path, expected: dict) -> None:
    """Load a checkpoint's weights after checking it was made for this model, method and tasks."""
    tensors, metadata = read_weights(path)
    for key in ("model", "method", "tasks"):
        if key in metadata and metadata[key] != expected[key]:
            raise ConfigError(
                "checkpoint",
                str(path),
                f"was saved for {key}={metadata[key]}, but this run has {key}={expected[key]}",
            )
    params = dict(module.named_parameters())
    unknown = sorted(set(tensors) - set(params))
    if unknown:
        raise ConfigError(
            "checkpoint", str(path), f"holds weights this model does not have: {unknown[:3]}"
        )
    with torch.no_grad():
        for name, tensor in tensors.items():
            if params[name].shape != tensor.shape:
                raise ConfigError(
                    "checkpoint",
                    str(path),
                    f"{name} has shape {tuple(tensor.shape)}, the model {tuple(params[name].shape)}",
                )
            params[name].copy_(tensor)
