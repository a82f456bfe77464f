"""The grid, one cell after another: skip what is done, resume what was interrupted, run the
rest, and print one line per cell (id, test score, time).

A cell that fails is reported and the grid goes on; a cell whose starting run (a few-shot
transfer's mixture cell) is not done waits for a later invocation. The same command again
continues the grid.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.quality.budget import Budget
from benchmarks.quality.commands import cell_dir, fresh_command, resume_command
from benchmarks.quality.grid import PEER, Cell
from benchmarks.quality.process import run_logged
from benchmarks.quality.state import DONE, RESUMABLE, cell_state, read_score
from hyperpeft.errors import ConfigError, DataError

Runner = Callable[[Sequence[str], Path, int], int]  # command, log file, threads -> exit status


@dataclass
class GridRun:
    """Where the grid lives and how its cells run (`runner` replaced in tests)."""

    root: Path
    budget: Budget
    overrides: Sequence[str] = ()
    threads: int = 2
    bf16: bool = False
    peers_python: Callable[[], str] | None = None  # None: peer cells are not run
    runner: Runner = run_logged
    finished: dict[str, str] = field(default_factory=dict)  # cell id -> what happened

    @property
    def cells_dir(self) -> Path:
        return self.root / "cells"

    def log_path(self, cell: Cell) -> Path:
        return self.root / "logs" / f"{cell.id}.log"

    def folder(self, cell: Cell) -> Path:
        return cell_dir(self.cells_dir, cell.id)

    def command(self, cell: Cell) -> list[str]:
        """What one of our cells runs now: a resume of its folder, or a fresh run into it."""
        folder = self.folder(cell)
        if cell_state(folder) == RESUMABLE:
            return resume_command(folder)
        return fresh_command(cell, self.budget, self.cells_dir, self.overrides)

    def run_ours(self, cell: Cell) -> int:
        folder = self.folder(cell)
        if cell_state(folder) != RESUMABLE and folder.exists():
            shutil.rmtree(folder)  # a start that saved nothing: run it again from scratch
        return self.runner(self.command(cell), self.log_path(cell), self.threads)

    def run_peer(self, cell: Cell) -> int:
        from benchmarks.quality.peers import run_peer_cell

        return run_peer_cell(
            cell,
            self.budget,
            self.cells_dir,
            self.overrides,
            self.peers_python(),
            self.threads,
            self.bf16,
            self.log_path(cell),
        )

    def run_cell(self, cell: Cell) -> str:
        """Run one cell (or skip it); the line that reports it."""
        folder = self.folder(cell)
        if cell_state(folder) == DONE:
            return self._line(cell, "done earlier", None)
        waiting = [dep for dep in cell.depends_on if cell_state(self.cells_dir / dep) != DONE]
        if waiting:
            return self._line(cell, f"waiting for {', '.join(waiting)}", None, failed=True)
        if cell.kind == PEER and self.peers_python is None:
            return self._line(cell, "skipped (no peers' environment)", None)
        resumed = cell_state(folder) == RESUMABLE
        started = time.perf_counter()
        try:
            code = self.run_peer(cell) if cell.kind == PEER else self.run_ours(cell)
        except (ValueError, OSError, ConfigError, DataError) as err:
            return self._line(cell, f"failed: {err}", time.perf_counter() - started, failed=True)
        seconds = time.perf_counter() - started
        if code != 0 or cell_state(folder) != DONE:
            log = self.log_path(cell)
            return self._line(cell, f"failed (exit {code}; log {log})", seconds, failed=True)
        return self._line(cell, "resumed" if resumed else "ran", seconds)

    def _line(self, cell: Cell, status: str, seconds: float | None, failed: bool = False) -> str:
        self.finished[cell.id] = "failed" if failed else status
        score = read_score(self.folder(cell))
        shown = "score      –" if score is None else f"score {score:.4f}"
        took = "" if seconds is None else f"  {seconds:7.1f}s"
        return f"{cell.id:<44} {shown}{took}  {status}"

    @property
    def failures(self) -> list[str]:
        return [cell_id for cell_id, what in self.finished.items() if what == "failed"]
