"""Where a cell stands, read from its folder alone: done, resumable, or still to run.

Done: the folder holds results.json (the run wrote it last). Resumable: one of ours was
interrupted after it saved its resumable state (checkpoint/last.ckpt, or previous.ckpt before
it); `hyperpeft trainer.resume=<folder>` continues it. A peer's worker cannot resume, but once
it has written its predictions only the scoring is left. Anything else in a folder is the
remains of a start that saved nothing, and the cell runs again from scratch.
"""

from __future__ import annotations

import json
from pathlib import Path

from hyperpeft.results import RESULTS_FILE
from hyperpeft.training.checkpoints import CHECKPOINT_DIR, PREVIOUS_FILE, RESUME_FILE

DONE, RESUMABLE, SCORABLE, PENDING = "done", "resumable", "scorable", "pending"
PREDICTIONS_FILE = "predictions.json"  # a peer worker's output


def cell_state(folder: Path) -> str:
    folder = Path(folder)
    if (folder / RESULTS_FILE).is_file():
        return DONE
    checkpoints = folder / CHECKPOINT_DIR
    if (checkpoints / RESUME_FILE).is_file() or (checkpoints / PREVIOUS_FILE).is_file():
        return RESUMABLE
    if (folder / PREDICTIONS_FILE).is_file():
        return SCORABLE
    return PENDING


def read_score(folder: Path) -> float | None:
    """The test score in the folder's results.json (None: no file, or no score in it)."""
    try:
        value = json.loads((Path(folder) / RESULTS_FILE).read_text()).get("score")
    except (OSError, ValueError):
        return None
    return float(value) if isinstance(value, (int, float)) else None
