"""The grid's settings, kept in its folder: one folder holds the cells of one budget only.

A cell done at another budget (a test's `--steps 20`, say) must not be skipped as if it were
done at this one, so a second invocation with other settings in the same folder is refused in
one line; `--out` gives it a folder of its own. Threads are not a setting: they change the time,
not the result.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from benchmarks.quality.budget import Budget

SETTINGS_FILE = "grid.json"


def grid_settings(budget: Budget, overrides: Sequence[str]) -> dict:
    return {"budget": budget.to_json(), "overrides": list(overrides)}


def claim_settings(root: Path, settings: dict, flag: str = "--out") -> None:
    """Write the settings into a new grid (or kept) folder, the one `flag` names; ValueError
    when it holds other settings."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / SETTINGS_FILE
    if path.is_file():
        saved = json.loads(path.read_text())
        if saved != settings:
            raise ValueError(
                f"{flag} {root}: it holds a grid with other settings ({json.dumps(saved)}); "
                f"give another {flag} for these"
            )
        return
    path.write_text(json.dumps(settings, indent=1))
