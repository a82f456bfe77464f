"""One peer cell, start to end: export our data, train in the peers' Python, score on our side.

The peer is matched to one of our methods (`Peer.ours`): its sizes, learning rate, warmup,
clipping, head dropout and label smoothing are that method's composed settings
(benchmarks.speed.ours.matched_settings, the speed benchmark's own matching), and its data is our
matching run's, exported by hyperpeft's data step. The worker cannot resume; once it has written
its predictions, only the scoring is left, and a later invocation starts there.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

from benchmarks.quality.budget import Budget
from benchmarks.quality.commands import cell_dir, run_overrides
from benchmarks.quality.grid import SINGLE, Cell
from benchmarks.quality.peer_export import compose_run, export_task_tensors
from benchmarks.quality.peer_score import peer_result, task_examples
from benchmarks.quality.process import run_logged
from benchmarks.quality.state import PREDICTIONS_FILE, SCORABLE, cell_state

DATA_FILE = "data.pt"
JOB_FILE = "job.json"
MATCHED_FILE = "matched.json"
WORKER = "benchmarks.quality.peer_worker"


def ours_of(cell: Cell) -> Cell:
    """The cell of ours the peer matches: same task, seed and budget, our matched method."""
    return dataclasses.replace(cell, kind=SINGLE, method=cell.peer.ours)


def matched_settings(cell: Cell, budget: Budget, user: Sequence[str], threads: int) -> dict:
    """Our matched method's sizes and trainer settings, and its label smoothing."""
    from benchmarks.speed.cells import OURS
    from benchmarks.speed.cells import Cell as SpeedCell
    from benchmarks.speed.ours import compose, matched_settings
    from benchmarks.speed.settings import Settings
    from hyperpeft.methods import method_config

    ours = cell.peer.ours
    settings = Settings(
        model="minilm",
        task=cell.task,
        batch_size=budget.batch_size,
        max_length=budget.max_length,
        warmup=0,
        steps=budget.steps_for(len(cell.tasks)),
        rounds=1,
        threads=threads,
        seed=cell.seed,
        overrides=list(user),
    )
    speed_cell = SpeedCell(cell.id, OURS, ours, kind=ours)
    matched = matched_settings(settings, speed_cell)
    cfg = compose(settings, ours)
    chosen = cfg.trainer.get("label_smoothing")
    default = method_config(cfg.method)[1].default_label_smoothing
    matched["label_smoothing"] = float(default if chosen is None else chosen)
    return matched


def worker_job(
    cell: Cell, folder: Path, matched: dict, eval_every: int, threads: int, bf16: bool
) -> dict:
    return {
        "method": cell.peer.name,
        "kind": cell.peer.kind,
        "library_config": cell.peer.library_config,
        "seed": cell.seed,
        "threads": threads,
        "bf16": bf16,
        "eval_every": eval_every,
        "matched": matched,
        "data": str(folder / DATA_FILE),
        "out": str(folder / PREDICTIONS_FILE),
    }


def worker_command(python: str, folder: Path) -> list[str]:
    return [str(python), "-m", WORKER, str(folder / JOB_FILE)]


def run_peer_cell(
    cell: Cell,
    budget: Budget,
    cells_dir: Path,
    user: Sequence[str],
    python: str,
    threads: int,
    bf16: bool,
    log_path: Path,
) -> int:
    """The cell's exit status (0: results.json written); the worker's output goes to the log."""
    folder = cell_dir(cells_dir, cell.id)
    folder.mkdir(parents=True, exist_ok=True)
    cfg = compose_run(run_overrides(ours_of(cell), budget, cells_dir, user))
    if cfg.model.name != "minilm":
        raise ValueError(f"model={cfg.model.name}: the peers train minilm only")
    if cell_state(folder) != SCORABLE:
        matched = matched_settings(cell, budget, user, threads)
        (folder / MATCHED_FILE).write_text(json.dumps(matched, indent=1))
        export_task_tensors(cfg, folder / DATA_FILE)
        steps = budget.steps_for(len(cell.tasks))
        job = worker_job(cell, folder, matched, budget.eval_every(steps), threads, bf16)
        (folder / JOB_FILE).write_text(json.dumps(job, indent=1))
        code = run_logged(worker_command(python, folder), log_path, threads)
        if code != 0:
            return code
    matched = json.loads((folder / MATCHED_FILE).read_text())
    worker = json.loads((folder / PREDICTIONS_FILE).read_text())
    task, examples = task_examples(cfg)
    peer_result(cfg, cell.peer.name, matched, worker, task, examples).write(folder)
    (folder / DATA_FILE).unlink(missing_ok=True)  # our data path rebuilds it exactly
    return 0


def peers_python(directory: Path) -> str:
    """The peers' environment's Python, created on first use (benchmarks.speed.peers_env)."""
    from benchmarks.speed.peers_env import ensure_peers_env

    return str(ensure_peers_env(directory))
