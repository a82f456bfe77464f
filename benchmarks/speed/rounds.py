"""Interleaved rounds of fresh worker processes, resumable from the results already on disk.

Every (cell, round) is one process of its side's Python (ours, or the peers' environment) with
the threads fixed, reading the same saved batches. Each finished measurement is appended to
`cells.jsonl` at once, so an interrupted run continues where it stopped when the same command
runs again; a failed cell is recorded in `failures.jsonl`, retried on the next run, and the
others go on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.speed.cells import MACHINE, OURS, PEER, Cell, interleave
from benchmarks.speed.settings import Settings

REPO = Path(__file__).resolve().parents[2]
MEASURED = "cells.jsonl"
FAILED = "failures.jsonl"


def log(message: str) -> None:
    print(f"[bench-speed] {message}", file=sys.stderr, flush=True)


def read_records(out: Path, name: str = MEASURED) -> list[dict]:
    path = out / name
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _append(out: Path, name: str, record: dict) -> None:
    with open(out / name, "a") as handle:
        handle.write(json.dumps(record) + "\n")


def _worker_env(settings: Settings) -> dict:
    env = dict(os.environ)
    threads = str(settings.threads)
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
            "OMP_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
            "TOKENIZERS_PARALLELISM": "false",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_VERBOSITY": "error",
            "PYTHONWARNINGS": "ignore",
        }
    )
    return env


def run_cell(
    cell: Cell,
    round_index: int,
    settings: Settings,
    out: Path,
    python: str,
    matched: dict,
    count_flops: bool,
    timeout: float,
) -> dict:
    """One worker process; its result, or a record of why it failed."""
    jobs = out / "jobs"
    jobs.mkdir(exist_ok=True)
    stem = f"{cell.name.replace(' ', '_')}-round{round_index}"
    job = {
        "settings": settings.to_json(),
        "cell": {**cell.__dict__, "overrides": list(cell.overrides)},
        "round": round_index,
        "batches": str(out / "batches.pt"),
        "matched": matched,
        "count_flops": count_flops,
        "out": str(jobs / f"{stem}.result.json"),
    }
    job_path = jobs / f"{stem}.job.json"
    job_path.write_text(json.dumps(job, indent=1))
    result_path = Path(job["out"])
    result_path.unlink(missing_ok=True)
    started = time.perf_counter()
    with open(jobs / f"{stem}.log", "w") as log_file:
        try:
            subprocess.run(
                [python, "-m", "benchmarks.speed.worker", str(job_path)],
                cwd=REPO,
                env=_worker_env(settings),
                stdout=log_file,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"cell": cell.name, "round": round_index, "error": f"timeout after {timeout} s"}
    if not result_path.exists():
        return {
            "cell": cell.name,
            "round": round_index,
            "error": f"the worker wrote no result; see {jobs / (stem + '.log')}",
        }
    result = json.loads(result_path.read_text())
    result["process_s"] = time.perf_counter() - started
    return result


def run_rounds(
    settings: Settings,
    cells: list[Cell],
    out: Path,
    pythons: dict[str, str],
    matched: dict[str, dict],
    timeout: float,
) -> None:
    done = {(r["cell"], r["round"]) for r in read_records(out)}
    counted = {r["cell"] for r in read_records(out) if "flops" in r}
    for round_index in range(settings.rounds):
        order = interleave(cells, round_index)
        for position, cell in enumerate(order, 1):
            if (cell.name, round_index) in done:
                continue
            python = pythons[PEER] if cell.side == PEER else pythons[OURS]
            log(f"round {round_index + 1}/{settings.rounds}, {position}/{len(order)}: {cell.name}")
            result = run_cell(
                cell,
                round_index,
                settings,
                out,
                python,
                matched.get(cell.name, {}),
                count_flops=cell.side != MACHINE and cell.name not in counted,
                timeout=timeout,
            )
            if "error" in result:
                log(f"  failed: {result['error']}")
                _append(out, FAILED, result)
                continue
            if "flops" in result:
                counted.add(cell.name)
            if "step_s" in result:
                steps = sorted(result["step_s"])
                log(f"  median step {steps[len(steps) // 2]:.3f} s")
            _append(out, MEASURED, result)
