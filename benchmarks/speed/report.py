"""From the measured cells to `results.json` and `results.md`: medians, ratios, floor, memory.

A cell's step time is the median over rounds of each round's median step (warm-up excluded);
the spread is the range of the round medians. Ratios are taken between cells of the same run:
to the frozen backbone and to full fine-tuning of the same side (ours or the peers', whose
transformers differs), to the matched peer, and to the GEMM floor (the cell's counted FLOPs at
the measured matrix-multiply rate). Memory is each cell's peak, the largest over its rounds.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from benchmarks.speed.cells import ALL_CELLS, GEMM, OURS, PEER
from benchmarks.speed.settings import Settings

BASELINES = {OURS: ("frozen", "full"), PEER: ("transformers frozen", "transformers full")}


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _rate_at(gemm_records: list[dict], precision: str) -> float | None:
    """The median GEMM rate at `precision` over the rounds (older records: their one rate)."""
    rates = []
    for record in gemm_records:
        gemm = record["gemm"]
        one_rate = {gemm.get("precision", precision): gemm["gflops_per_s"]}
        by_precision = gemm.get("by_precision", one_rate)
        if precision in by_precision:
            rates.append(by_precision[precision])
    return statistics.median(rates) if rates else None


def summarise(
    settings: Settings, records: list[dict], failures: list[dict], meta: dict, command: str
) -> dict:
    by_cell: dict[str, list[dict]] = {}
    for record in records:
        by_cell.setdefault(record["cell"], []).append(record)
    rates = [r["gemm"]["gflops_per_s"] for r in by_cell.get(GEMM.name, [])]
    rate = statistics.median(rates) if rates else None
    side_rates = {
        OURS: _rate_at(by_cell.get(GEMM.name, []), settings.precision),
        PEER: _rate_at(by_cell.get(GEMM.name, []), settings.peer_precision),
    }
    cells: dict[str, dict] = {}
    for name in ALL_CELLS:
        measured = by_cell.get(name)
        if name == GEMM.name or not measured:
            continue
        medians = [statistics.median(r["step_s"]) for r in measured]
        flops = next((r["flops"] for r in measured if "flops" in r), None)
        gflop = flops["total"] / 1e9 if flops else None
        cells[name] = {
            "side": ALL_CELLS[name].side,
            "rounds": len(measured),
            "step_s": statistics.median(medians),
            "round_medians_s": medians,
            "gflop_per_step": gflop,
            "floor_s": _ratio(gflop, side_rates[ALL_CELLS[name].side]) if gflop else None,
            "peak_memory_mb": max(r["peak_memory_mb"] for r in measured),
            "rss_after_build_mb": max(r["rss_after_build_mb"] for r in measured),
            "info": measured[0]["info"],
            "flops_by_operator": flops["by_operator"] if flops else None,
        }
    for name, cell in cells.items():
        frozen, full = BASELINES[cell["side"]]
        peer = ALL_CELLS[name].peer
        cell["vs_frozen"] = _ratio(cell["step_s"], cells.get(frozen, {}).get("step_s"))
        cell["vs_full"] = _ratio(cell["step_s"], cells.get(full, {}).get("step_s"))
        cell["peer"] = peer or None
        cell["vs_peer"] = _ratio(cell["step_s"], cells.get(peer, {}).get("step_s"))
        cell["memory_vs_peer"] = _ratio(
            cell["peak_memory_mb"], cells.get(peer, {}).get("peak_memory_mb")
        )
        cell["vs_floor"] = _ratio(cell["step_s"], cell["floor_s"])
    measured_gemm = {GEMM.name} if rates else set()
    environment = next((r["environment"] for r in records if r.get("environment")), {})
    return {
        "command": command,
        "settings": settings.to_json(),
        "batches": meta,
        "environment": environment,
        "gemm_gflops_per_s": rate,
        "gemm_round_rates": rates,
        "peers_gemm_gflops_per_s": side_rates[PEER],
        "memory": "peak resident set (VmHWM) of a fresh process per cell and round"
        if settings.device == "cpu"
        else "torch.cuda.max_memory_allocated of a fresh process per cell and round",
        "cells": cells,
        "failed": sorted({f["cell"] for f in failures} - set(cells) - measured_gemm),
    }


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _peers_precision(settings: dict) -> str:
    peers = settings.get("peers_precision")
    return f" (peers {peers})" if peers and peers != settings["precision"] else ""


def _peers_rate(summary: dict) -> str:
    s, peers = summary["settings"], summary.get("peers_gemm_gflops_per_s")
    if not s.get("peers_precision") or s["peers_precision"] == s["precision"]:
        return ""
    return f" ({s['peers_precision']}, the peers' floor: {_fmt(peers, 0)} GFLOP/s)"


def markdown(summary: dict) -> str:
    s = summary["settings"]
    env = summary["environment"]
    lines = [
        f"`{summary['command']}`",
        "",
        f"{s['model']}, real {s['task']}, batch {s['batch_size']}, {s['max_length']} tokens, "
        f"{s['device']} {s['precision']}{_peers_precision(s)}, {s['threads']} threads ({env.get('cpu', '?')}), "
        f"torch {env.get('torch', '?')}; median of {s['rounds']} interleaved rounds of "
        f"{s['steps']} steps after {s['warmup']} warm-up; GEMM rate "
        f"{_fmt(summary['gemm_gflops_per_s'], 0)} GFLOP/s{_peers_rate(summary)}; "
        f"memory: {summary['memory']}.",
        "",
        "| cell | step s | round range | ÷ frozen | ÷ full | ÷ peer | ÷ GEMM floor "
        "| GFLOP/step | peak MB | mem ÷ peer | peer |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, c in summary["cells"].items():
        spread = f"{min(c['round_medians_s']):.3f}-{max(c['round_medians_s']):.3f}"
        lines.append(
            f"| {name} | {c['step_s']:.3f} | {spread} | {_fmt(c['vs_frozen'])} | "
            f"{_fmt(c['vs_full'])} | {_fmt(c['vs_peer'])} | {_fmt(c['vs_floor'])} | "
            f"{_fmt(c['gflop_per_step'], 1)} | {c['peak_memory_mb']:.0f} | "
            f"{_fmt(c['memory_vs_peer'])} | {c['peer'] or ''} |"
        )
    if summary["failed"]:
        lines += ["", f"Failed (see the logs under jobs/): {', '.join(summary['failed'])}."]
    lines += [
        "",
        "÷ frozen and ÷ full compare with the frozen backbone and full fine-tuning of the same "
        "side (ours: hyperpeft; peers: plain transformers in the peers' environment).",
    ]
    return "\n".join(lines) + "\n"


def write_report(out: Path, summary: dict) -> str:
    (out / "results.json").write_text(json.dumps(summary, indent=1))
    table = markdown(summary)
    (out / "results.md").write_text(table)
    return table
