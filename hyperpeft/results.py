"""`RunResult`: what one run measured, and the one owner of `results.json`'s schema.

The run writes it into its folder; the report reads it back, W&B gets its summary, and the
sweeper optimises `objectives()` (the job's return value). A dry run fills the parameter table
only: the fields of a trained run stay None (or empty) and are left out of its file.

results.json keys, in file order: method, model, tasks, seed, params, dry_run, config, then for a
trained run score, validation_score, best_step, metrics, validation, steps, step_time_s,
peak_memory_mb; wall_time_s; task_proportions, task_probabilities; and machine (the CPU,
device, torch version and threads the run had: `hyperpeft/machine.py`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from hyperpeft.atomic import atomic_write_text

RESULTS_FILE = "results.json"

# Metrics of one split: task name -> metric name -> value (each task's "score" included).
TaskMetrics = Mapping[str, Mapping[str, float]]


@dataclass(frozen=True)
class RunResult:
    """One run: what was trained, how well it did and what it cost."""

    method: str
    model: str
    tasks: tuple[str, ...]
    seed: int | None
    # backbone, trainable, trainable_pct, tasks, per_task, per_task_pct, checkpoint_bytes
    params: Mapping[str, float] = field(default_factory=dict)
    dry_run: bool = False
    config: Mapping[str, Any] = field(default_factory=dict)  # the composed config, resolved
    # -- a trained run only -----------------------------------------------------------------------
    score: float | None = None  # mean test score over the tasks
    validation_score: float | None = None  # the best mean validation score: model selection
    best_step: int | None = None
    metrics: TaskMetrics = field(default_factory=dict)  # test metrics per task
    validation: TaskMetrics = field(default_factory=dict)  # validation metrics at best_step
    steps: int | None = None
    step_time_s: float | None = None  # median training step, evaluation excluded
    peak_memory_mb: float | None = None
    # -- every run ----------------------------------------------------------------------------
    wall_time_s: float | None = None
    # -- a trained run only -----------------------------------------------------------------------
    task_proportions: Mapping[str, float] = field(default_factory=dict)  # realised by the sampler
    task_probabilities: Mapping[str, float] = field(default_factory=dict)  # the sampler's
    # -- every run ----------------------------------------------------------------------------
    machine: Mapping[str, Any] = field(default_factory=dict)  # hyperpeft.machine.machine_info()
    # The folder the result was read from; not part of the file.
    run_dir: Path | None = field(default=None, compare=False)

    # -- what sweeps optimise ---------------------------------------------------------------------
    def objectives(self) -> dict[str, float | None]:
        """The job's return value: `score` is the validation score (test scores must not steer a
        search), `test_score` the test score, and every entry of the parameter table. Printed,
        they are named by `objective_label`."""
        return {"score": self.validation_score, "test_score": self.score, **self.params}

    # -- the parameter table, as the report shows it ------------------------------------------------
    @property
    def trainable(self) -> int | None:
        value = self.params.get("trainable")
        return int(value) if _number(value) is not None else None

    @property
    def trainable_pct(self) -> float | None:
        return _number(self.params.get("trainable_pct"))

    @property
    def per_task_pct(self) -> float | None:
        return _number(self.params.get("per_task_pct"))

    @property
    def task_label(self) -> str:
        return "+".join(self.tasks)

    @property
    def plottable(self) -> bool:
        """A trained run with a score and a positive trainable share (plots use a log axis)."""
        return (
            not self.dry_run
            and self.score is not None
            and self.trainable_pct is not None
            and self.trainable_pct > 0
        )

    # -- results.json -----------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The file's content: every field but `run_dir`; a dry run without the trained fields."""
        return {
            f.name: _plain(getattr(self, f.name))
            for f in fields(self)
            if f.name != "run_dir" and not (self.dry_run and f.name in TRAINED_ONLY)
        }

    def write(self, run_dir: Path) -> Path:
        path = Path(run_dir) / RESULTS_FILE
        atomic_write_text(path, json.dumps(self.to_json(), indent=2, default=str))
        return path

    @classmethod
    def from_json(cls, data: Mapping[str, Any], run_dir: Path | None = None) -> RunResult:
        """Lenient: files of older versions, or written by hand, may lack keys or hold NaN."""
        tasks = data.get("tasks") or list((data.get("metrics") or {}).keys())
        return cls(
            method=str(data.get("method", "?")),
            model=str(data.get("model", "?")),
            tasks=tuple(str(task) for task in tasks),
            seed=data.get("seed"),
            params=dict(data.get("params") or {}),
            dry_run=bool(data.get("dry_run", False)),
            config=dict(data.get("config") or {}),
            score=_number(data.get("score")),
            validation_score=_number(data.get("validation_score")),
            best_step=data.get("best_step"),
            metrics=dict(data.get("metrics") or {}),
            validation=dict(data.get("validation") or {}),
            steps=data.get("steps"),
            step_time_s=_number(data.get("step_time_s")),
            peak_memory_mb=_number(data.get("peak_memory_mb")),
            wall_time_s=_number(data.get("wall_time_s")),
            task_proportions=dict(data.get("task_proportions") or {}),
            task_probabilities=dict(data.get("task_probabilities") or {}),
            machine=dict(data.get("machine") or {}),
            run_dir=run_dir,
        )

    @classmethod
    def read(cls, path: Path) -> RunResult:
        """A results.json (or the run folder holding it); OSError and JSONDecodeError as json's,
        ValueError when the file is not a JSON object."""
        path = Path(path)
        if path.is_dir():
            path = path / RESULTS_FILE
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return cls.from_json(data, run_dir=path.parent.resolve())


# How objectives are named where they are printed: the same words the run's summary and the
# report use, so "score" never means the validation score in one place and the test score in another.
OBJECTIVE_LABELS = {"score": "validation score", "test_score": "test score"}


def objective_label(name: str) -> str:
    return OBJECTIVE_LABELS.get(name, name)


TRAINED_ONLY = frozenset(
    {
        "score",
        "validation_score",
        "best_step",
        "metrics",
        "validation",
        "steps",
        "step_time_s",
        "peak_memory_mb",
        "task_proportions",
        "task_probabilities",
    }
)


def _plain(value: Any) -> Any:
    """JSON's own types: tuples as lists, mappings as dicts (all the way down)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return None
    return float(value)
