"""What a finished sweep tells its user: the best trial, or the Pareto front of two objectives.

Written to `optimization_results.yaml` in the sweep folder and logged, so the answer survives the
terminal; the study itself stays in its storage for optuna-dashboard and `hyperpeft-report`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import optuna
from omegaconf import OmegaConf
from optuna.trial import FrozenTrial

from hyperpeft.results import objective_label
from hyperpeft.sweeps.storage import dashboard_url

SUMMARY_FILE = "optimization_results.yaml"
log = logging.getLogger(__name__)


def summarize(study: optuna.Study, objectives: Sequence[str], storage_url: str) -> dict[str, Any]:
    """A plain dict of the study's outcome: counts per state and its best trial(s)."""
    trials = study.get_trials(deepcopy=False)
    states = Counter(trial.state.name.lower() for trial in trials)
    summary: dict[str, Any] = {
        "name": "optuna",
        "study_name": study.study_name,
        "storage": storage_url,
        "objectives": list(objectives),
        "directions": [d.name.lower() for d in study.directions],
        "n_trials": len(trials),
        "states": dict(sorted(states.items())),
    }
    if states.get("complete", 0) == 0:
        return summary
    if len(study.directions) == 1:
        best = study.best_trial
        summary["best_trial"] = best.number
        summary["best_value"] = best.value
        summary["best_params"] = dict(best.params)
    else:
        front = sorted(study.best_trials, key=lambda trial: trial.number)
        summary["pareto_front"] = [_trial_entry(trial, objectives) for trial in front]
    return summary


def write_summary(summary: dict[str, Any], sweep_dir: Path) -> Path:
    """Save the summary next to the sweep's jobs and log it."""
    sweep_dir.mkdir(parents=True, exist_ok=True)
    path = sweep_dir / SUMMARY_FILE
    OmegaConf.save(OmegaConf.create(summary), path)
    states = ", ".join(f"{n} {state}" for state, n in summary["states"].items()) or "no trials"
    log.info(f"Study {summary['study_name']}: {summary['n_trials']} trials ({states})")
    if "best_trial" in summary:
        log.info(
            f"Best trial {summary['best_trial']}: {objective_label(summary['objectives'][0])}="
            f"{summary['best_value']:.6g} with {summary['best_params']}"
        )
    for entry in summary.get("pareto_front", []):
        values = ", ".join(f"{objective_label(k)}={v:.6g}" for k, v in entry["values"].items())
        log.info(f"Pareto front: trial {entry['number']} {values} with {entry['params']}")
    log.info(
        f"Results in {path}; browse with: optuna-dashboard {dashboard_url(summary['storage'])}"
    )
    return path


def _trial_entry(trial: FrozenTrial, objectives: Sequence[str]) -> dict[str, Any]:
    values = dict(zip(objectives, trial.values or [], strict=False))
    return {"number": trial.number, "values": values, "params": dict(trial.params)}
