"""Reading the `results.json` that every hyperpeft run writes into its folder."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hyperpeft.errors import DataError

RESULTS_FILE = "results.json"
# Config keys that do not change what a run measures: runs differing only here are repeats.
NOT_SETTINGS = ("seed", "optuna", "trainer.resume", "data.cache_dir", "data.dir")


@dataclass(frozen=True)
class RunResult:
    """One run's row: what was trained, how well it did and what it cost."""

    run_dir: Path
    method: str
    model: str
    tasks: tuple[str, ...]
    seed: int | None
    score: float | None
    validation_score: float | None
    trainable: int | None
    trainable_pct: float | None
    per_task_pct: float | None
    step_time_s: float | None
    dry_run: bool
    # The composed config flattened to dotted keys, without NOT_SETTINGS: what makes runs repeats.
    settings: tuple[tuple[str, str], ...] = ()

    @property
    def task_label(self) -> str:
        return "+".join(self.tasks)

    @property
    def plottable(self) -> bool:
        """A trained run with a score and a positive trainable share (the x axis is log)."""
        return (
            not self.dry_run
            and self.score is not None
            and self.trainable_pct is not None
            and self.trainable_pct > 0
        )

    @classmethod
    def from_json(cls, run_dir: Path, data: Mapping[str, Any]) -> RunResult:
        params = data.get("params") or {}
        tasks = data.get("tasks") or list((data.get("metrics") or {}).keys())
        return cls(
            run_dir=run_dir,
            method=str(data.get("method", "?")),
            model=str(data.get("model", "?")),
            tasks=tuple(str(t) for t in tasks),
            seed=data.get("seed"),
            score=_number(data.get("score")),
            validation_score=_number(data.get("validation_score")),
            trainable=params.get("trainable"),
            trainable_pct=_number(params.get("trainable_pct")),
            per_task_pct=_number(params.get("per_task_pct")),
            step_time_s=_number(data.get("step_time_s")),
            dry_run=bool(data.get("dry_run", False)),
            settings=tuple(sorted(flatten(data.get("config") or {}).items())),
        )


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
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            warnings.append(f"skipped {path}: {error}")
            continue
        if not isinstance(data, dict):
            warnings.append(f"skipped {path}: not a JSON object")
            continue
        rows.append(RunResult.from_json(path.parent.resolve(), data))
    return rows, warnings


def collect(root: Path) -> tuple[list[RunResult], list[str]]:
    """All runs below `root`; a missing folder is a DataError that names it."""
    if not root.is_dir():
        raise DataError(f"{root} is not a folder: give a run, multirun or sweep folder")
    return load_results(find_results(root))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return None
    return float(value)
