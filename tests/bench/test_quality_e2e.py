"""One cell of the quality grid end to end through `python -m benchmarks.quality`, on the tiny
BERT (the harness's `--override` puts it in place of minilm): the run writes results.json into
the cell's folder, the report is written, and the same command again skips the cell."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TINY = (
    "--override", "model=tiny-bert",
    "--override", "method.reduction_factor=8",
    "--override", "data.max_train_examples=64",
    "--override", "data.max_eval_examples=24",
    "--override", "logger=none",
)  # fmt: skip


def harness(out: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HYPERPEFT_CACHE_DIR": str(out.parent / "cache")}
    command = [sys.executable, "-m", "benchmarks.quality", "--out", str(out), *args]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def test_one_cell_runs_into_its_folder_is_reported_and_is_skipped_the_second_time(tmp_path):
    out, kept = tmp_path / "grid", tmp_path / "kept"
    args = ("--only", "rte.adapter.s0", "--steps", "6", "--threads", "1", "--keep", str(kept))
    args += TINY
    first = harness(out, *args)
    assert first.returncode == 0, first.stderr[-3000:]
    folder = out / "cells" / "rte.adapter.s0"
    results = json.loads((folder / "results.json").read_text())
    assert results["method"] == "adapter" and results["model"] == "tiny-bert"
    assert results["steps"] == 6 and results["config"]["trainer"]["batch_size"] == 16
    assert results["config"]["trainer"]["eval_every"] == 1  # 6 steps, 6 evaluations
    line = next(line for line in first.stdout.splitlines() if line.startswith("rte.adapter.s0"))
    assert f"score {results['score']:.4f}" in line and line.rstrip().endswith("ran")
    assert (out / "report" / "report.md").is_file()
    kept_results = (kept / "rte.adapter.s0" / "results.json").read_text()
    assert json.loads(kept_results)["score"] == results["score"]
    assert str(tmp_path) not in kept_results  # the kept copy names no folder of this machine
    assert "hyperpeft-report" not in first.stderr  # the report did not fail
    assert (out / "logs" / "rte.adapter.s0.log").read_text().startswith("$ ")

    again = harness(out, *args)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "done earlier" in again.stdout
    listed = harness(out, "--list", "--only", "rte.adapter")
    assert "rte.adapter.s0" in listed.stdout and " done  score" in listed.stdout

    other_budget = harness(out, "--only", "rte.adapter.s0", "--steps", "8", *TINY)
    assert (
        other_budget.returncode == 2 and "holds a grid with other settings" in other_budget.stderr
    )
