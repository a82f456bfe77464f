"""An Optuna study's trials for the report, and the results.json of the runs they produced."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from hyperpeft.errors import DataError
from hyperpeft.report.table import fmt
from hyperpeft.results import RESULTS_FILE
from hyperpeft.sweeps.storage import JOURNAL_PREFIX, SQLITE_PREFIX, open_storage


def storage_url(storage: str) -> str:
    """Accept a storage URL as the sweeper writes it, or a path to a .db or journal file."""
    if "://" in storage:
        return storage
    path = Path(storage).absolute()
    if not path.is_file():
        raise DataError(f"study storage {storage} is neither a URL nor an existing file")
    with path.open("rb") as handle:
        is_sqlite = handle.read(16).startswith(b"SQLite format 3")
    return (SQLITE_PREFIX if is_sqlite else JOURNAL_PREFIX) + str(path)


def load_study(storage: str, study_name: str | None) -> Any:
    """Open the study; without a name, the storage's only study."""
    import optuna

    backend = open_storage(storage_url(storage))
    names = [summary.study_name for summary in optuna.get_all_study_summaries(backend)]
    if study_name is None:
        if len(names) != 1:
            raise DataError(f"{storage} holds studies {names}: choose one with --study-name")
        study_name = names[0]
    if study_name not in names:
        raise DataError(f"{storage} has no study {study_name!r}; it holds {names}")
    return optuna.load_study(study_name=study_name, storage=backend)


def trial_results(study: Any) -> list[Path]:
    """results.json files written by the study's trials (their jobs' output folders)."""
    paths = []
    for trial in study.get_trials(deepcopy=False):
        output_dir = trial.user_attrs.get("output_dir")
        if output_dir and (Path(output_dir) / RESULTS_FILE).is_file():
            paths.append(Path(output_dir) / RESULTS_FILE)
    return paths


def study_section(study: Any) -> str:
    """Markdown: the study's trial states, its best trial(s) and every trial."""
    trials = study.get_trials(deepcopy=False)
    objectives = study.user_attrs.get("objectives") or [
        f"value{i}" for i in range(len(study.directions))
    ]
    states = Counter(trial.state.name.lower() for trial in trials)
    counts = ", ".join(f"{n} {state}" for state, n in sorted(states.items())) or "no trials"
    directions = ", ".join(
        f"{o} ({d.name.lower()})" for o, d in zip(objectives, study.directions, strict=False)
    )
    lines = [
        f"## Study `{study.study_name}`",
        "",
        f"{len(trials)} trials: {counts}. Objectives: {directions}.",
        "",
    ]
    complete = [trial for trial in trials if trial.state.name == "COMPLETE"]
    if complete:
        best = study.best_trials if len(study.directions) > 1 else [study.best_trial]
        label = "Pareto front" if len(best) > 1 or len(study.directions) > 1 else "Best trial"
        lines.append(f"{label}: " + ", ".join(f"trial {t.number}" for t in best) + ".")
        lines.append("")
    header = ["Trial", "State", *objectives, "Trainable %", "Params"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("| " + " | ".join(["---"] * len(header)) + " |")
    for trial in trials:
        values = list(trial.values or [None] * len(objectives))
        params = ", ".join(
            f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in trial.params.items()
        )
        cells = [str(trial.number), trial.state.name.lower(), *[fmt(v) for v in values]]
        cells += [fmt(trial.user_attrs.get("trainable_pct")), params]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
