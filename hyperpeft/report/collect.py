"""Finding and reading the `results.json` that every hyperpeft run writes into its folder."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hyperpeft.errors import DataError
from hyperpeft.results import RESULTS_FILE, RunResult

# Config keys that do not change what a run measures: runs differing only here are repeats.
# (hardware.threads and data.num_workers change how fast a run goes, not its scores.)
NOT_SETTINGS = (
    "seed",
    "optuna",
    "trainer.resume",
    "data.cache_dir",
    "data.dir",
    "data.num_workers",
    "hardware.threads",
)


def experiment_settings(row: RunResult) -> tuple[tuple[str, str], ...]:
    """The run's composed config as sorted dotted keys, without NOT_SETTINGS: runs with equal
    settings are repeats of one experiment."""
    return tuple(sorted(flatten(row.config).items()))


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Dotted keys to JSON values, leaving out the keys that do not define the experiment."""
    flat: dict[str, str] = {}
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        if dotted in NOT_SETTINGS:
            continue
        if isinstance(value, Mapping):
            flat.update(flatten(value, prefix=f"{dotted}."))
        else:
            flat[dotted] = json.dumps(value, sort_keys=True)
    return flat


def find_results(root: Path) -> list[Path]:
    """Every results.json below `root` (a run folder, a multirun or a sweep folder)."""
    return sorted(root.rglob(RESULTS_FILE))


def load_results(paths: Iterable[Path]) -> tuple[list[RunResult], list[str]]:
    """Rows of the files that parse, and one warning per file that does not."""
    rows: list[RunResult] = []
    warnings: list[str] = []
    for path in paths:
        try:
            rows.append(RunResult.read(path))
        except (OSError, ValueError) as error:  # json.JSONDecodeError is a ValueError
            warnings.append(f"skipped {path}: {error}")
    return rows, warnings


def collect(root: Path) -> tuple[list[RunResult], list[str]]:
    """All runs below `root`; a missing folder is a DataError that names it."""
    if not root.is_dir():
        raise DataError(f"{root} is not a folder: give a run, multirun or sweep folder")
    return load_results(find_results(root))
