"""Checkpoints: the trained parameters alone (safetensors), and the resumable state; every file
written atomically (to a temporary name, flushed to disk, renamed).

`model.safetensors` holds the best weights by mean validation score, with the config that rebuilds
the run in its metadata; `last.ckpt` is Lightning's resumable state (optimizer, schedule, step,
sampler position, the best weights so far), its state dict also cut down to the trained
parameters. Each save of `last.ckpt` keeps the one before as `previous.ckpt`, so a last state
damaged after it was written (a full disk, a copy cut short) costs one evaluation interval, not
the run: resuming falls back to it and says so.
"""

from __future__ import annotations

import json
import pickle
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save, save_file

from hyperpeft.atomic import atomic_write
from hyperpeft.errors import ConfigError

CHECKPOINT_DIR = "checkpoint"  # inside the run folder, holding the files below
WEIGHTS_FILE = "model.safetensors"
RESUME_FILE = "last.ckpt"
PREVIOUS_FILE = "previous.ckpt"  # the resumable state before last.ckpt's
RUN_KEY = "hyperpeft_run"  # in a resumable checkpoint: the model, method and tasks it was made for


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
    if not path.is_file():
        raise ConfigError("checkpoint", str(path), "no such file; give a run's model.safetensors")
    tensors = {}
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = _metadata(handle)
            for key in handle.keys():  # noqa: SIM118 - safe_open is not a mapping
                tensors[key] = handle.get_tensor(key)
    except (SafetensorError, OSError, ValueError) as err:
        raise ConfigError("checkpoint", str(path), _damaged(err)) from None
    return tensors, metadata


def read_metadata(path: str | Path) -> dict[str, Any]:
    """What `atomic_save_weights` recorded beside the weights (the run's config among it),
    without reading the weights."""
    try:
        with safe_open(str(path), framework="pt") as handle:
            return _metadata(handle)
    except (SafetensorError, OSError, ValueError) as err:
        raise ConfigError("checkpoint", str(path), _damaged(err)) from None


def weights_readable(path: Path) -> bool:
    """Whether `path` is a whole safetensors file (its header and sizes agree)."""
    try:
        read_metadata(path)
    except ConfigError:
        return False
    return True


def _metadata(handle: Any) -> dict[str, Any]:
    try:
        return json.loads((handle.metadata() or {}).get("hyperpeft", "{}"))
    except json.JSONDecodeError as err:
        raise ValueError(f"its metadata is not JSON ({err})") from None


def _damaged(err: BaseException) -> str:
    reason = " ".join(str(err).split()) or type(err).__name__
    return f"is not a safetensors file, or one cut short or damaged ({reason})"


# ---- the resumable state ------------------------------------------------------------------------


def save_resumable(directory: Path, save_checkpoint: Callable[[Path], Any], commit: bool) -> None:
    """Lightning's `save_checkpoint` into `last.ckpt`; the state it replaces becomes
    `previous.ckpt`. Every DDP rank takes part in the save; `commit` on the one that writes."""
    directory = Path(directory)
    atomic_write(
        directory / RESUME_FILE,
        save_checkpoint,
        commit=commit,
        keep_previous=directory / PREVIOUS_FILE,
    )


@dataclass(frozen=True)
class Resumable:
    """A resumable checkpoint that was read back whole: where it is, and the step it holds."""

    path: Path
    step: int
    run: dict[str, Any]  # the model, method and tasks it was saved for (empty in older files)
    note: str | None = None  # why this is not the folder's last.ckpt, if it is not


def read_resumable(path: Path) -> Resumable:
    """Read a resumable checkpoint whole (every zip entry's checksum, then the state itself);
    `DamagedCheckpoint` says what is wrong with it."""
    try:
        with zipfile.ZipFile(path) as archive:
            bad_entry = archive.testzip()
        if bad_entry is not None:
            raise DamagedCheckpoint(f"fails its checksum in {bad_entry}")
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except DamagedCheckpoint:
        raise
    except (zipfile.BadZipFile, pickle.UnpicklingError, RuntimeError, EOFError, OSError) as err:
        reason = " ".join(str(err).split()) or type(err).__name__
        raise DamagedCheckpoint(f"is truncated or damaged ({reason})") from None
    if not isinstance(state, dict) or not isinstance(state.get("global_step"), int):
        raise DamagedCheckpoint("is not a resumable checkpoint (no global_step)")
    return Resumable(path, state["global_step"], dict(state.get(RUN_KEY) or {}))


class DamagedCheckpoint(Exception):
    """A checkpoint file that cannot be read back whole."""


def resumable_checkpoint(resume: str | Path, key: str = "trainer.resume") -> Resumable:
    """`trainer.resume`: a run folder (its last.ckpt; previous.ckpt when last.ckpt is missing
    or damaged, with a note saying so) or a checkpoint file. ConfigError if nothing is usable."""
    path = Path(resume).expanduser()
    if path.is_file():
        try:
            return read_resumable(path)
        except DamagedCheckpoint as err:
            raise ConfigError(key, str(resume), f"{path.name} {err}") from None
    if not path.is_dir():
        raise ConfigError(
            key, str(resume), "no such folder; give the run folder to continue (outputs/runs/<run>)"
        )
    folder = path / CHECKPOINT_DIR
    problems = []
    for candidate in (folder / RESUME_FILE, folder / PREVIOUS_FILE):
        if not candidate.is_file():
            problems.append(f"{candidate.name} is missing")
            continue
        try:
            found = read_resumable(candidate)
        except DamagedCheckpoint as err:
            problems.append(f"{candidate.name} {err}")
            continue
        if candidate.name == RESUME_FILE:
            return found
        note = f"{problems[0]}; resuming from the state before it, {candidate} (step {found.step})"
        return Resumable(found.path, found.step, found.run, note)
    if all(problem.endswith("is missing") for problem in problems):
        raise ConfigError(
            key,
            str(resume),
            f"holds no {CHECKPOINT_DIR}/{RESUME_FILE}: the run stopped before its first "
            "evaluation saved one; start it again",
        )
    raise ConfigError(key, str(resume), f"no usable checkpoint: {'; '.join(problems)}")


def check_resumable_for(resumable: Resumable, expected: dict, key: str = "trainer.resume") -> None:
    """A resumable state continues only the run it was saved for (model, method, tasks)."""
    for name in ("model", "method", "tasks"):
        if name in resumable.run and resumable.run[name] != expected[name]:
            raise ConfigError(
                key,
                str(resumable.path),
                f"was saved for {name}={resumable.run[name]}, but this run has "
                f"{name}={expected[name]}",
            )


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
