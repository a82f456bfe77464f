"""Files written whole or not at all: results, checkpoints and cache entries.

A reader (another run sharing the cache, the report, a resumed run) and a crash (Ctrl-C, a
killed job, a power cut) see the old file or the new one, never half of one: the bytes go to a
temporary file beside the target, are flushed to disk, and the file is renamed over the target.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path


def atomic_write(
    path: str | Path,
    write: Callable[[Path], object],
    commit: bool = True,
    keep_previous: str | Path | None = None,
) -> None:
    """`write(tmp)` fills a temporary file in `path`'s folder, which then replaces `path`.

    `commit=False` discards the temporary file instead: for DDP ranks that take part in a
    collective save (Lightning's `save_checkpoint`) but do not own the file. `keep_previous`:
    the file being replaced is renamed to this name first (once the new bytes are on disk), so
    the state before the last one survives a last file damaged later.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # a name of its own per writer (concurrent runs share the cache); the writer creates the
    # file, so it gets the usual permissions
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        if commit:
            _flush_to_disk(tmp)
            if keep_previous is not None and path.exists():
                os.replace(path, keep_previous)
            os.replace(tmp, path)
            _flush_folder(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _flush_to_disk(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _flush_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); folders cannot be opened on Windows."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
