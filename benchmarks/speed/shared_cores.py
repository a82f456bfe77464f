"""`python -m benchmarks.speed.shared_cores`: what `hardware.threads` does when runs share the
cores. The same short `hyperpeft` run is timed alone, then as two copies started together with
torch's default threads (every core each), then as two copies with `hardware.threads` set to
their share of the cores. Each run's median training step comes from its own results.json.

    python -m benchmarks.speed.shared_cores                       # minilm compacter, RTE, 2 cores
    python -m benchmarks.speed.shared_cores --steps 20 --method adapter

Two copies that split the cores well take about twice the step time of one alone (each does its
work on half the machine); the table prints each case's step time and its ratio to that.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HYPERPEFT = Path(sys.executable).with_name("hyperpeft")


def run_command(args: argparse.Namespace, run_dir: Path, threads: int) -> list[str]:
    return [
        str(HYPERPEFT),
        f"model={args.model}",
        f"method={args.method}",
        f"task={args.task}",
        f"trainer.batch_size={args.batch_size}",
        f"model.max_length={args.max_length}",
        f"trainer.max_steps={args.steps}",
        f"trainer.eval_every={args.steps}",
        "data.max_eval_examples=16",
        "logger=none",
        f"hardware.threads={threads}",
        f"hydra.run.dir={run_dir}",
    ]


def run_together(args: argparse.Namespace, folder: Path, copies: int, threads: int) -> list[float]:
    """Start `copies` runs at once; each one's median step time (seconds)."""
    env = {key: value for key, value in os.environ.items() if key != "OMP_NUM_THREADS"}
    runs = [folder / f"copy{i}" for i in range(copies)]
    processes = [
        subprocess.Popen(
            run_command(args, run_dir, threads),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for run_dir in runs
    ]
    for process in processes:
        _, err = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"a run failed (exit {process.returncode}): {err.strip()[-2000:]}")
    return [json.loads((run_dir / "results.json").read_text())["step_time_s"] for run_dir in runs]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.speed.shared_cores", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--method", default="compacter")
    parser.add_argument("--task", default="rte")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--steps", type=int, default=12, help="training steps of each run")
    parser.add_argument("--cores", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args(argv)
    share = max(1, args.cores // 2)
    cases = [
        ("one run alone, default threads", 1, 0),
        (f"two runs at once, default threads ({args.cores} each)", 2, 0),
        (f"two runs at once, hardware.threads={share}", 2, share),
    ]
    rows = []
    with tempfile.TemporaryDirectory(prefix="shared-cores-") as tmp:
        for index, (name, copies, threads) in enumerate(cases):
            steps = run_together(args, Path(tmp) / f"case{index}", copies, threads)
            rows.append((name, statistics.median(steps), steps))
    alone = rows[0][1]
    print(
        f"{args.method} on {args.model}, {args.task}, batch {args.batch_size}, "
        f"{args.max_length} tokens, {args.steps} steps, {args.cores} cores"
    )
    print("| case | median step (s) | each run's | ÷ (2 × alone) |")
    print("|---|---|---|---|")
    for name, median, steps in rows:
        each = ", ".join(f"{s:.3f}" for s in steps)
        print(f"| {name} | {median:.3f} | {each} | {median / (2 * alone):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
