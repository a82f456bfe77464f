"""Where one step spends its time: torch.profiler's operator shares over a few steps.

    python -m benchmarks.speed.profile compacter --batch-size 8 --max-length 64 --steps 3
    # any cell of a benchmark run, ours or a peer's (then with the peers' Python), from its job:
    outputs/bench-speed/peers-venv/bin/python -m benchmarks.speed.profile \\
        --job outputs/bench-speed/<run>/jobs/adapters_compacter-round0.job.json

Shares (an operator's self time over all events' self time) survive a busy machine far better
than absolute times, so this is the tool for finding what costs; the benchmark measures it.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from torch.profiler import ProfilerActivity, profile

from benchmarks.speed.batches import load_batches
from benchmarks.speed.cells import ALL_CELLS, GEMM, OURS, Cell
from benchmarks.speed.measure import fix_threads
from benchmarks.speed.settings import Settings


def operator_shares(prof: profile, top: int) -> list[tuple[str, float, int]]:
    """(operator, share of the total self time, calls), the largest `top` first."""
    self_time: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    for event in prof.key_averages():
        self_time[event.key] += event.self_cpu_time_total
        calls[event.key] += event.count
    total = sum(self_time.values()) or 1.0
    ranked = sorted(self_time.items(), key=lambda item: -item[1])[:top]
    return [(name, t / total, calls[name]) for name, t in ranked]


def _from_job(path: Path, args: argparse.Namespace) -> tuple[Settings, Cell, dict, list, dict]:
    job = json.loads(path.read_text())
    values = {**job["settings"], "warmup": args.warmup, "steps": args.steps}
    settings = Settings.from_json({**values, "threads": args.threads or values["threads"]})
    cell = Cell(**{**job["cell"], "overrides": tuple(job["cell"]["overrides"])})
    batches, meta = load_batches(Path(job["batches"]))
    return settings, cell, job["matched"], batches, meta


def _from_flags(args: argparse.Namespace) -> tuple[Settings, Cell, dict, list, dict]:
    from benchmarks.speed.batches import build_batches
    from benchmarks.speed.ours import matched_settings

    settings = Settings(
        batch_size=args.batch_size,
        max_length=args.max_length,
        warmup=args.warmup,
        steps=args.steps,
        threads=args.threads or 1,
        ours_loop=args.ours_loop,
        precision=args.precision,
        overrides=args.override,
    )
    cell = ALL_CELLS[args.cell]
    if cell.side != OURS:
        raise SystemExit("error: a peer's cell needs --job (a benchmark run's job file)")
    batches, meta = build_batches(settings)
    return settings, cell, matched_settings(settings, cell), batches, meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cell", nargs="?", choices=[n for n in ALL_CELLS if n != GEMM.name])
    parser.add_argument("--job", type=Path, help="a benchmark run's jobs/<cell>-round<r>.job.json")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--threads", type=int, help="default: the job's, or 1")
    parser.add_argument("--ours-loop", default="lightning")
    parser.add_argument("--precision", default="fp32", help="fp32 or bf16 (hardware=cpu-bf16)")
    parser.add_argument("--override", action="append", default=[])
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    if not args.job and not args.cell:
        parser.error("give a cell or --job")
    settings, cell, matched, batches, meta = (
        _from_job(args.job, args) if args.job else _from_flags(args)
    )
    batches = (batches * settings.batches_per_round)[: settings.batches_per_round]
    fix_threads(settings.threads)
    if cell.side == OURS:
        from benchmarks.speed import ours as side
    else:
        from benchmarks.speed import peers as side  # type: ignore[no-redef]
    runner = side.build_runner(settings, cell, matched, meta)
    runner.train(batches[: settings.warmup] or batches[:1])
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        times = runner.train(batches[settings.warmup :])
    recorded = sum(e.self_cpu_time_total for e in prof.key_averages()) / 1e6
    shape = "x".join(map(str, batches[0]["input_ids"].shape))
    print(
        f"{cell.name}: {settings.steps} steps of {shape} tokens, {settings.threads} threads, "
        f"{runner.info['loop']}; recorded events' self time is {recorded / sum(times):.0%} of "
        "the steps' wall time"
    )
    print(f"{'share':>6}  {'calls':>6}  operator")
    for name, share, count in operator_shares(prof, args.top):
        print(f"{share:6.1%}  {count:6d}  {name}")


if __name__ == "__main__":
    main()
