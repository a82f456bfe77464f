"""The speed benchmark's own logic: order of the rounds, FLOP counts, ratios, and a tiny run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from benchmarks.speed.cells import ALL_CELLS, GEMM, OURS, PEER, interleave, select
from benchmarks.speed.flops import count_flops
from benchmarks.speed.gemm import step_shapes
from benchmarks.speed.report import markdown, summarise
from benchmarks.speed.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_rounds_put_each_of_ours_beside_its_peer_and_alternate_direction():
    cells = select(None)
    first, second = interleave(cells, 0), interleave(cells, 1)
    assert first[0] == GEMM and second[0] == GEMM
    assert second[1:] == first[1:][::-1]
    names = [cell.name for cell in first]
    for cell in cells:
        if cell.side == OURS and cell.peer:
            assert names.index(cell.peer) == names.index(cell.name) + 1
    assert sorted(names[1:]) == sorted(cell.name for cell in cells)


def test_every_peer_is_matched_to_one_of_our_methods():
    peers = {cell.name for cell in select(None) if cell.side == PEER}
    assert peers == {cell.peer for cell in select(None) if cell.side == OURS and cell.peer}
    for name in peers:
        assert ALL_CELLS[name].method in {"adapter", "compacter", "compacter++", "lora", "full"}


def test_flops_of_a_linear_layer_and_of_cpu_attention_are_counted():
    x = torch.randn(8, 16, requires_grad=True)
    weight = torch.randn(32, 16)
    counted = count_flops(lambda: F.linear(x, weight).sum().backward())
    assert counted["total"] == 2 * 8 * 16 * 32 * 2  # forward, and the input's gradient
    q = torch.randn(2, 4, 8, 16, requires_grad=True)
    attention = count_flops(lambda: F.scaled_dot_product_attention(q, q, q).sum().backward())
    assert attention["total"] >= 2 * (2 * 2 * 4 * 8 * 8 * 16)  # at least QK^T and AV forward


def test_each_linear_layer_costs_three_multiplies_per_step():
    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.Linear(32, 16))
    shapes = step_shapes(model, tokens=100)
    assert sum(shapes.values()) == 6
    assert shapes[(100, 16, 32)] == 2  # first layer's forward, second layer's input gradient


def record(cell: str, steps: list[float], gflop: float, peak: float = 500.0) -> dict:
    return {
        "cell": cell,
        "round": 0,
        "step_s": steps,
        "peak_memory_mb": peak,
        "rss_after_build_mb": peak / 2,
        "info": {},
        "flops": {"total": gflop * 1e9, "by_operator": {}},
        "environment": {"cpu": "test"},
    }


def test_ratios_compare_medians_of_the_same_side_and_the_matched_peer():
    gemm = {"cell": GEMM.name, "round": 0, "gemm": {"gflops_per_s": 100.0}}
    records = [
        gemm,
        record("frozen", [1.0, 1.0, 5.0], 100),
        record("full", [2.0], 150),
        record("compacter", [1.1, 1.2, 1.1], 101, peak=400),
        record("adapters compacter", [1.0, 1.3, 1.2], 101),
        record("transformers frozen", [0.9], 100),
    ]
    summary = summarise(Settings(), records, [{"cell": "lora"}], {}, "cmd")
    compacter = summary["cells"]["compacter"]
    assert compacter["step_s"] == 1.1
    assert compacter["vs_frozen"] == 1.1 / 1.0 and compacter["vs_full"] == 1.1 / 2.0
    assert compacter["vs_peer"] == 1.1 / 1.2
    assert compacter["vs_floor"] == 1.1 / (101 / 100)
    assert compacter["memory_vs_peer"] == 400 / 500
    assert summary["cells"]["adapters compacter"]["vs_frozen"] == 1.2 / 0.9  # its own side
    assert summary["failed"] == ["lora"]
    table = markdown(summary)
    assert "| compacter | 1.100 |" in table and "lora" in table


def test_with_peers_at_another_precision_each_side_gets_the_floor_of_its_own_precision():
    rates = {
        "gflops_per_s": 300.0,
        "precision": "bf16",
        "by_precision": {"bf16": 300.0, "fp32": 100.0},
    }
    records = [
        {"cell": GEMM.name, "round": 0, "gemm": rates},
        record("compacter", [1.0], 150),
        record("adapters compacter", [2.0], 150),
    ]
    settings = Settings(precision="bf16", peers_precision="fp32")
    summary = summarise(settings, records, [], {}, "cmd")
    assert summary["cells"]["compacter"]["floor_s"] == 150 / 300
    assert summary["cells"]["adapters compacter"]["floor_s"] == 150 / 100
    assert "(fp32, the peers' floor: 100 GFLOP/s)" in markdown(summary)


def test_a_method_override_reaches_the_methods_that_have_the_key_and_skips_the_others():
    from benchmarks.speed.ours import compose

    settings = Settings(model="tiny-bert", overrides=("method.reduction_factor=4",))
    assert compose(settings, "compacter").method.reduction_factor == 4
    assert "reduction_factor" not in compose(settings, "full").method  # composes all the same


def test_a_tiny_run_measures_and_resumes(tmp_path):
    out = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "benchmarks.speed",
        *("--model", "tiny-bert", "--batch-size", "2", "--max-length", "16"),
        *("--warmup", "1", "--steps", "2", "--rounds", "1", "--threads", "1"),
        *("--cells", "compacter", "--override", "method.reduction_factor=4"),
        *("--no-peers-env", "--out", str(out)),
    ]
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    compacter = results["cells"]["compacter"]
    assert len(compacter["round_medians_s"]) == 1 and compacter["step_s"] > 0
    assert compacter["gflop_per_step"] > 0 and compacter["peak_memory_mb"] > 0
    assert compacter["info"]["loop"].startswith("lightning")
    assert results["gemm_gflops_per_s"] > 0
    assert "| compacter |" in finished.stdout
    measured = (out / "cells.jsonl").read_text()
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and (out / "cells.jsonl").read_text() == measured  # resumed


def run_tiny_benchmark(out: Path, *arguments: str) -> dict:
    """One round of one timed step on tiny shapes, no peers; the results it wrote."""
    command = [
        sys.executable,
        "-m",
        "benchmarks.speed",
        *("--batch-size", "2", "--max-length", "16", "--warmup", "1", "--steps", "1"),
        *("--rounds", "1", "--threads", "1", "--no-peers-env", "--out", str(out)),
        *arguments,
    ]
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    assert not results["failed"]
    return results


@pytest.mark.parametrize("loop", ["lightning", "plain"])
def test_a_tiny_bf16_run_counts_the_flops_of_every_cell(tmp_path, loop):
    """bf16 stores the frozen backbone's weights in bf16: the FLOP count's step (outside the
    Trainer) and the plain loop run under the same autocast as a run's training step."""
    results = run_tiny_benchmark(
        tmp_path / "run",
        *("--model", "tiny-bert", "--precision", "bf16", "--ours-loop", loop),
        *("--cells", "frozen", "compacter", "--override", "method.reduction_factor=4"),
    )
    for name in ("frozen", "compacter"):
        assert results["cells"][name]["gflop_per_step"] > 0


def test_a_tiny_text_to_text_run_times_the_frozen_backbone_and_a_method(tmp_path):
    """T5's path: no head of ours (the frozen cell has nothing of its own to train) and tied
    encoder and decoder embedding modules, each made to pass gradients to its output."""
    results = run_tiny_benchmark(
        tmp_path / "run",
        *("--model", "tiny-t5", "--cells", "frozen", "compacter"),
        *("--override", "method.reduction_factor=4"),
    )
    assert results["batches"]["text_to_text"]
    for name in ("frozen", "compacter"):
        assert results["cells"][name]["step_s"] > 0
        assert results["cells"][name]["gflop_per_step"] > 0
