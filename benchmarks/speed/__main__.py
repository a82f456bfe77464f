"""`python -m benchmarks.speed` (`make bench-speed`): time every method of ours, the frozen
backbone, full fine-tuning and the peers at matched settings on the same real batches.

    python -m benchmarks.speed                              # minilm, real RTE, batch 32, 128 tokens
    python -m benchmarks.speed --rounds 5 --steps 20        # more samples on a quiet machine
    python -m benchmarks.speed --cells compacter "adapters compacter" --no-peers-env
    python -m benchmarks.speed --device cuda                # CUDA timing (synchronised clock)
    python -m benchmarks.speed --precision bf16             # hyperpeft's bf16 hardware option

The same command again resumes the run in its output folder (one folder per settings);
`--fresh` starts it over. Results: `results.json` and `results.md` there, the table printed.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import signal
import sys
from pathlib import Path

from benchmarks.speed import cells as cell_table
from benchmarks.speed.batches import build_batches, save_batches
from benchmarks.speed.cells import OURS, PEER
from benchmarks.speed.report import summarise, write_report
from benchmarks.speed.rounds import FAILED, REPO, log, read_records, run_rounds
from benchmarks.speed.settings import Settings

OUTPUTS = REPO / "outputs" / "bench-speed"


def parse(argv: list[str]) -> tuple[Settings, argparse.Namespace]:
    defaults = Settings()
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.speed", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--model", default=defaults.model)
    parser.add_argument("--task", default=defaults.task)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--max-length", type=int, default=defaults.max_length)
    parser.add_argument("--warmup", type=int, default=defaults.warmup)
    parser.add_argument("--steps", type=int, default=defaults.steps)
    parser.add_argument("--rounds", type=int, default=defaults.rounds)
    parser.add_argument("--threads", type=int, default=defaults.threads)
    parser.add_argument("--device", default=defaults.device)
    parser.add_argument("--precision", default=defaults.precision, help="fp32 or bf16 (ours)")
    parser.add_argument(
        "--peers-precision", help="the peers' precision when not ours (bf16 beside peers' fp32)"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--ours-loop", default=defaults.ours_loop, help="lightning (the run's Trainer) or plain"
    )
    parser.add_argument(
        "--override", action="append", default=[], help="a Hydra override for our side"
    )
    parser.add_argument(
        "--cells",
        nargs="+",
        help=f"default: ours and the peers; any of {list(cell_table.ALL_CELLS)}",
    )
    parser.add_argument("--out", type=Path, help="output folder (default: one per settings)")
    parser.add_argument("--peers-env", type=Path, default=OUTPUTS / "peers-venv")
    parser.add_argument(
        "--no-peers-env", action="store_true", help="skip the peers (no environment built)"
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per worker process")
    parser.add_argument("--fresh", action="store_true", help="discard this folder's measurements")
    args = parser.parse_args(argv)
    try:
        settings = Settings(
            model=args.model,
            task=args.task,
            batch_size=args.batch_size,
            max_length=args.max_length,
            warmup=args.warmup,
            steps=args.steps,
            rounds=args.rounds,
            threads=args.threads,
            device=args.device,
            precision=args.precision,
            peers_precision=args.peers_precision,
            seed=args.seed,
            ours_loop=args.ours_loop,
            overrides=args.override,
        )
    except ValueError as err:
        parser.error(str(err))
    return settings, args


def prepare(out: Path, settings: Settings, fresh: bool) -> dict:
    """The output folder with its settings and batches; refuses to mix two settings' figures."""
    if fresh and out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    saved = out / "settings.json"
    if saved.exists():
        previous = Settings.from_json(json.loads(saved.read_text()))
        if previous.fingerprint() != settings.fingerprint():
            raise SystemExit(
                f"error: {out} holds a run with other settings; use --out elsewhere or --fresh"
            )
    saved.write_text(json.dumps(settings.to_json(), indent=1))
    meta_path = out / "batches.json"
    if not (out / "batches.pt").exists() or not meta_path.exists():
        log(f"building {settings.batches_per_round} batches of {settings.task}")
        batches, meta = build_batches(settings)
        save_batches(batches, meta, out / "batches.pt")
        meta_path.write_text(json.dumps(meta, indent=1))
    return json.loads(meta_path.read_text())


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(f"stopped by signal {signum}; the same command resumes")


def main(argv: list[str] | None = None) -> None:
    # SIGTERM unwinds like Ctrl-C, so the running worker is ended with its launcher
    signal.signal(signal.SIGTERM, _stop)
    argv = sys.argv[1:] if argv is None else argv
    settings, args = parse(argv)
    try:
        cells = cell_table.select(args.cells)
    except ValueError as err:
        raise SystemExit(f"error: {err}") from None
    if args.no_peers_env:
        cells = [cell for cell in cells if cell.side != PEER]
    out = args.out or settings.default_out(OUTPUTS)
    meta = prepare(out, settings, args.fresh)
    pythons = {OURS: sys.executable}
    if any(cell.side == PEER for cell in cells):
        from benchmarks.speed.peers_env import ensure_peers_env

        pythons[PEER] = str(ensure_peers_env(args.peers_env))
    from benchmarks.speed.ours import matched_settings

    matched = {cell.name: matched_settings(settings, cell) for cell in cells}
    log(f"{len(cells)} cells x {settings.rounds} rounds into {out}")
    run_rounds(settings, cells, out, pythons, matched, args.timeout)
    command = shlex.join(["python", "-m", "benchmarks.speed", *argv])
    summary = summarise(settings, read_records(out), read_records(out, FAILED), meta, command)
    print(write_report(out, summary))
    log(f"wrote {out / 'results.json'} and {out / 'results.md'}")


if __name__ == "__main__":
    main()
