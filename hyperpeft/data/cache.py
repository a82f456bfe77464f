"""A disk cache for tokenised splits, so the second run of a task starts without tokenising.

The key is a digest of everything the features depend on: the rows themselves (so an edited data
file is a new entry), the tokenizer, the formulation, the length limits, and the code that turns
a row into features with the task settings it reads (`fingerprint.py`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from hyperpeft.atomic import atomic_write

CACHE_VERSION = 1


def digest(*parts: Any) -> str:
    hasher = hashlib.sha256(str(CACHE_VERSION).encode())
    for part in parts:
        hasher.update(json.dumps(part, sort_keys=True, default=str).encode())
    return hasher.hexdigest()[:24]


def cached(cache_dir: str | Path | None, key: str, build: Callable[[], Any]) -> tuple[Any, bool]:
    """`build()` once per key; returns (value, whether it came from the cache)."""
    if cache_dir is None:
        return build(), False
    path = Path(cache_dir) / f"{key}.pt"
    if path.exists():
        try:
            return torch.load(path, weights_only=False), True
        except (OSError, EOFError, RuntimeError):
            path.unlink(missing_ok=True)  # a torn or stale entry: rebuild it
    value = build()
    atomic_write(path, lambda tmp: torch.save(value, tmp))  # concurrent runs never read half
    return value, False
