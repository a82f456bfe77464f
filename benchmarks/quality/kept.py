"""Kept results: every done cell's results.json, committed with the project, so the grid carries
over from one clone (and one session) to the next, where outputs/ does not.

The kept folder mirrors the grid's cells, `<cell id>/results.json`, beside the grid's settings
(grid.json: one kept folder per budget, as for the grid's own folder). A kept cell counts as done
and the tables are built from the kept folder. The run's folder (checkpoint, logs) stays in
outputs/: where a few-shot transfer needs its mixture cell's weights and only the kept result is
left, the mixture cell runs again.

A run's config names folders of the machine it ran on (the data folder, the cache, the run a
transfer started from); the kept copy names them by placeholders instead: `<grid>/…` below the
grid's folder, `<data>/…` below the data folder, and `<local>/<name>` for any other.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hyperpeft.atomic import atomic_write_text
from hyperpeft.results import RESULTS_FILE

KEPT_DIR = Path(__file__).resolve().parent / "results"


def kept_file(kept_root: Path, cell_id: str) -> Path:
    return Path(kept_root) / cell_id / RESULTS_FILE


def is_kept(kept_root: Path | None, cell_id: str) -> bool:
    return kept_root is not None and kept_file(kept_root, cell_id).is_file()


def keep(run_folder: Path, kept_root: Path, cell_id: str, grid_root: Path) -> Path:
    """Copy the cell's results.json into the kept folder, its machine paths replaced."""
    data = json.loads((Path(run_folder) / RESULTS_FILE).read_text(encoding="utf-8"))
    places = {Path(grid_root).resolve(): "<grid>"}
    data_dir = (data.get("config") or {}).get("data", {}).get("dir")
    if isinstance(data_dir, str) and os.path.isabs(data_dir):
        places[Path(data_dir)] = "<data>"
    path = kept_file(kept_root, cell_id)
    atomic_write_text(path, json.dumps(without_machine_paths(data, places), indent=2) + "\n")
    return path


def without_machine_paths(value: Any, places: Mapping[Path, str]) -> Any:
    """`value` with every absolute path string named relative to its place (or by its name)."""
    if isinstance(value, Mapping):
        return {key: without_machine_paths(item, places) for key, item in value.items()}
    if isinstance(value, list):
        return [without_machine_paths(item, places) for item in value]
    if isinstance(value, str) and os.path.isabs(value):
        return placeholder_path(Path(value), places)
    return value


def placeholder_path(path: Path, places: Mapping[Path, str]) -> str:
    for place, name in places.items():
        if path == place or place in path.parents:
            relative = path.relative_to(place).as_posix()
            return name if relative == "." else f"{name}/{relative}"
    return f"<local>/{path.name}"
