"""The grid, one cell after another: skip what is done, resume what was interrupted, run the
rest, and print one line per cell (id, test score, time).

A cell that fails is reported and the grid goes on; a cell whose starting run (a few-shot
transfer's mixture cell) is not done waits for a later invocation. The same command again
continues the grid. With a kept folder (kept.py), a done cell's results.json is copied there,
and a cell kept there is done, unless a pending transfer needs its run folder's weights.
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
from benchmarks.quality.kept import is_kept, keep, kept_file
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
    kept: Path | None = None  # the kept folder (None: results stay in the grid's folder only)
    finished: dict[str, str] = field(default_factory=dict)  # cell id -> what happened
    needed: set[str] = field(default_factory=set)  # cells whose run folder a transfer needs

    def need_run_folders(self, cells: Sequence[Cell]) -> None:
        """The cells a not-yet-done transfer among `cells` starts from must have their run
        folder, not only a kept result: those run again where the folder is gone."""
        for cell in cells:
            if not self.is_done(cell):
                self.needed.update(cell.depends_on)

    def is_done(self, cell: Cell) -> bool:
        return cell_state(self.folder(cell)) == DONE or is_kept(self.kept, cell.id)

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
            if not is_kept(self.kept, cell.id):  # done before the kept folder was
                self._keep(cell)
            return self._line(cell, "done earlier", None)
        if is_kept(self.kept, cell.id) and cell.id not in self.needed:
            return self._line(cell, "done earlier (kept)", None)
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
        self._keep(cell)
        return self._line(cell, "resumed" if resumed else "ran", seconds)

    def _keep(self, cell: Cell) -> None:
        if self.kept is not None:
            keep(self.folder(cell), self.kept, cell.id, self.root)

    def _line(self, cell: Cell, status: str, seconds: float | None, failed: bool = False) -> str:
        self.finished[cell.id] = "failed" if failed else status
        score = read_score(self.folder(cell))
        if score is None and is_kept(self.kept, cell.id):
            score = read_score(kept_file(self.kept, cell.id).parent)
        shown = "score      –" if score is None else f"score {score:.4f}"
        took = "" if seconds is None else f"  {seconds:7.1f}s"
        return f"{cell.id:<44} {shown}{took}  {status}"

    @property
    def failures(self) -> list[str]:
        return [cell_id for cell_id, what in self.finished.items() if what == "failed"]
