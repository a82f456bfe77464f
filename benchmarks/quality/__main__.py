"""`python -m benchmarks.quality` (`make bench-quality`): every method of ours and the peers
trained on real GLUE and SuperGLUE tasks at one budget, each cell a real run, then the tables.

    python -m benchmarks.quality                          # the whole grid; the same command resumes
    python -m benchmarks.quality --list                   # the cells, done or pending
    python -m benchmarks.quality --only 'rte.*' --seeds 0 # a part of it
    python -m benchmarks.quality --dry-list --only cb.k16 # the command each cell would run
    python -m benchmarks.quality --table-only             # the report of what is done

Each of our cells runs the `hyperpeft` command in a process of its own, one after another,
into outputs/bench-quality/cells/<cell id>/; a cell with results.json there is skipped, an
interrupted one resumed from its folder. Peer cells train in the peers' environment on the
batches our data path makes. The default grid keeps each done cell's results.json in
benchmarks/quality/results/ (committed: kept.py), where later clones find it done; the
tables are built from there.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
from collections import Counter
from pathlib import Path

from benchmarks.quality import grid
from benchmarks.quality.budget import Budget
from benchmarks.quality.commands import bf16_overrides
from benchmarks.quality.kept import KEPT_DIR, is_kept
from benchmarks.quality.process import REPO, Stopped, log
from benchmarks.quality.report import report_command, write_report
from benchmarks.quality.run import GridRun
from benchmarks.quality.settings_file import claim_settings, grid_settings
from benchmarks.quality.state import DONE, cell_state, read_score

OUTPUTS = REPO / "outputs" / "bench-quality"
PEERS_ENV = REPO / "outputs" / "bench-speed" / "peers-venv"  # shared with the speed benchmark


def build_parser() -> argparse.ArgumentParser:
    defaults = Budget()
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.quality", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="PATTERN",
        help="cells whose id matches: a glob ('rte.*.s0') or a substring ('k16'); repeatable",
    )
    parser.add_argument("--tasks", nargs="+", help="cells of these tasks (a mixture: glue)")
    parser.add_argument("--methods", nargs="+", help="cells of these methods (peers: peft:lora)")
    parser.add_argument("--seeds", nargs="+", type=int, help="cells of these seeds")
    parser.add_argument("--kinds", nargs="+", choices=grid.KINDS, help="cells of these kinds")
    parser.add_argument("--steps", type=int, default=defaults.steps, help="steps per task")
    parser.add_argument("--threads", type=int, default=2, help="threads of each cell's process")
    parser.add_argument("--bf16", action="store_true", help="hyperpeft's hardware=cpu-bf16")
    parser.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a Hydra override for every cell of ours (and the peers' matched settings)",
    )
    parser.add_argument("--out", type=Path, default=OUTPUTS, help="the grid's folder")
    keeping = parser.add_mutually_exclusive_group()
    keeping.add_argument(
        "--keep",
        type=Path,
        help="the kept results' folder (default: benchmarks/quality/results with the default "
        "--out, none with another)",
    )
    keeping.add_argument("--no-keep", action="store_true", help="keep no results outside --out")
    parser.add_argument("--peers-env", type=Path, default=PEERS_ENV)
    parser.add_argument("--no-peers", action="store_true", help="leave the peer cells out")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--list", action="store_true", help="the cells and where each stands")
    mode.add_argument("--dry-list", action="store_true", help="each cell's command; runs nothing")
    mode.add_argument("--table-only", action="store_true", help="only the report of done cells")
    return parser


def selected_cells(args: argparse.Namespace) -> list[grid.Cell]:
    grid.check_filters(args.tasks, args.methods)
    kinds = [k for k in (args.kinds or grid.KINDS) if not (args.no_peers and k == grid.PEER)]
    return grid.select(grid.build_grid(), args.only, args.tasks, args.methods, args.seeds, kinds)


def kept_root(args: argparse.Namespace) -> Path | None:
    if args.no_keep:
        return None
    if args.keep is not None:
        return args.keep.resolve()
    return KEPT_DIR if args.out.resolve() == OUTPUTS.resolve() else None


def list_cells(run: GridRun, cells: list[grid.Cell]) -> None:
    states = Counter()
    for cell in cells:
        folder = run.folder(cell)
        state = cell_state(folder)
        if state != DONE and is_kept(run.kept, cell.id):
            state, folder = "kept", run.kept / cell.id
        states[state] += 1
        score = read_score(folder)
        shown = "" if score is None else f"  score {score:.4f}"
        needs = f"  after {', '.join(cell.depends_on)}" if cell.depends_on else ""
        print(f"{cell.id:<44} {cell.kind:<8} {state}{shown}{needs}")
    kinds = Counter(cell.kind for cell in cells)
    print(
        f"{len(cells)} cells ({', '.join(f'{n} {k}' for k, n in kinds.items())}): "
        + ", ".join(f"{n} {s}" for s, n in states.items())
    )


def dry_list(run: GridRun, cells: list[grid.Cell], peers_env: Path) -> None:
    from benchmarks.quality.peers import worker_command

    for cell in cells:
        if cell.kind == grid.PEER:
            folder = run.folder(cell)
            command = worker_command(str(peers_env / "bin" / "python"), folder)
            print(
                f"{cell.id}: export {folder / 'data.pt'}, then {shlex.join(command)}"
                f" (matched to {cell.peer.ours})"
            )
        else:
            print(f"{cell.id}: {shlex.join(run.command(cell))}")


def table(root: Path, kept: Path | None) -> int:
    """The report of the kept cells where results are kept, else of the grid's folder."""
    source = kept if kept is not None and kept.is_dir() else root
    done = write_report(source, root)
    print((done.stdout + done.stderr).strip())
    if done.returncode != 0:
        log(f"the report failed: {shlex.join(report_command(source, root))}")
    return done.returncode


def _stop(signum: int, _frame: object) -> None:
    raise Stopped(f"stopped by signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        budget = Budget(steps=args.steps)
        cells = selected_cells(args)
        overrides = [*(bf16_overrides(REPO / "conf") if args.bf16 else []), *args.override]
    except ValueError as err:
        parser.error(str(err))
    if args.threads <= 0:
        parser.error(f"--threads {args.threads}: an integer > 0")
    root = args.out.resolve()
    kept = kept_root(args)
    run = GridRun(root, budget, overrides, args.threads, args.bf16, kept=kept)
    if args.list:
        list_cells(run, cells)
        return 0
    if args.dry_list:
        dry_list(run, cells, args.peers_env)
        return 0
    if args.table_only:
        return table(root, kept)
    try:
        claim_settings(root, grid_settings(budget, overrides))
        if kept is not None:
            claim_settings(kept, grid_settings(budget, overrides), "--keep")
    except ValueError as err:
        parser.error(str(err))
    if any(cell.kind == grid.PEER for cell in cells):
        from benchmarks.quality.peers import peers_python

        run.peers_python = lambda: peers_python(args.peers_env)
    run.need_run_folders(cells)
    signal.signal(signal.SIGTERM, _stop)  # between cells; while one runs it is passed on to it
    log(
        f"{len(cells)} cells into {root / 'cells'} ({budget.steps} steps per task, "
        f"batch {budget.batch_size}, {budget.max_length} tokens, {args.threads} threads)"
    )
    try:
        for cell in cells:
            print(run.run_cell(cell), flush=True)
    except Stopped as err:
        log(f"{err}; the same command resumes the grid")
        return 130
    failures = run.failures
    if failures:
        log(f"{len(failures)} cells not done: {', '.join(failures)}; the same command retries them")
    table(root, kept)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
