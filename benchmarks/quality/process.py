"""One cell's process: its output appended to the cell's log, threads fixed, stopped cleanly.

Cells run one after another, each in a process of its own (never a pool of ours: the machine's
cores belong to the cell). Ctrl-C reaches the cell's process from the terminal, and SIGTERM to
the harness is passed on to it, so an interrupted run of ours writes its resumable state
(exit 130) before the harness stops; the same command resumes it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class Stopped(Exception):
    """The harness was asked to stop (SIGINT, SIGTERM) while a cell ran."""


def cell_env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
            "OMP_NUM_THREADS": str(threads),
            "MKL_NUM_THREADS": str(threads),
            "TOKENIZERS_PARALLELISM": "false",
            "HF_HUB_OFFLINE": env.get("HF_HUB_OFFLINE", "1"),
            "WANDB_MODE": env.get("WANDB_MODE", "offline"),
        }
    )
    return env


def run_logged(command: Sequence[str], log_path: Path, threads: int) -> int:
    """Run `command` in the repository, its output appended to `log_path`; its exit status.
    Raises Stopped after the process has ended when the harness was interrupted meanwhile."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    stopped: list[int] = []
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(command)}\n")
        log.flush()
        child = subprocess.Popen(
            list(command),
            cwd=REPO,
            env=cell_env(threads),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

        def forward(signum: int, _frame: object) -> None:
            stopped.append(signum)
            if signum == signal.SIGTERM:  # Ctrl-C reached the child from the terminal already
                child.send_signal(signum)

        previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            code = child.wait()
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
    if stopped:
        raise Stopped(f"stopped by signal {stopped[0]}")
    return code


def log(message: str) -> None:
    print(f"[bench-quality] {message}", file=sys.stderr, flush=True)
