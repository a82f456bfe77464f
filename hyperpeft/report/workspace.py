"""A W&B workspace that compares the runs of a report, built with `wandb-workspaces`.

Every panel reads keys the runs log (`hyperpeft.tracking.weights_and_biases`): the run summary
(`run_summary`: `score`, `validation_score`, the parameter table, `step_time_s`,
`peak_memory_mb`, `test/<task>/<metric>`), the config (the composed config, so `method.name`
and a sweep's searched keys) and the history Lightning logs while training (`val/score`).
Sections:

- score against trainable parameters (% of the backbone, log axis; per task % for mixtures),
  the validation score over steps, runs grouped by method;
- each task's test score per method;
- step time, peak memory and trainable parameters per method;
- for a sweep (runs of an Optuna study), the importance of the searched keys for the validation
  score (the sweep's objective) and parallel coordinates over them.

`workspace_fields` lists what the panels read, so tests can hold them to what the runs log.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hyperpeft.report.collect import flatten
from hyperpeft.results import RunResult
from hyperpeft.sweeps.trial import TrialRef

METHOD = "method.name"  # config key the runs are grouped by
SCORE, VALIDATION_SCORE = "score", "validation_score"
TRAINABLE_PCT, PER_TASK_PCT, TRAINABLE = "trainable_pct", "per_task_pct", "trainable"
STEP_TIME, PEAK_MEMORY = "step_time_s", "peak_memory_mb"
VALIDATION_CURVE = "val/score"  # logged by the module at every evaluation


def task_score(task: str) -> str:
    return f"test/{task}/score"


def search_space(rows: Sequence[RunResult]) -> list[str]:
    """The config keys a sweep varied: those with more than one value among its trials (the
    seed and the trial's own `optuna.*` keys aside, as `flatten` leaves them out)."""
    trials = [row for row in rows if TrialRef.from_config(row.config) is not None]
    if len(trials) < 2:
        return []
    settings = [flatten(row.config) for row in trials]
    keys = sorted(set().union(*settings))
    return [key for key in keys if len({s.get(key) for s in settings}) > 1]


def run_groups(rows: Sequence[RunResult], root: Path) -> list[str]:
    """The W&B groups the runs were logged in (`run_group`): `logger.group`, else the sweep's
    study, else the multirun folder's name; empty when that cannot be told from the files."""
    groups = set()
    for row in rows:
        logger = row.config.get("logger") or {}
        trial = TrialRef.from_config(row.config)
        if logger.get("group"):
            groups.add(str(logger["group"]))
        elif trial is not None:
            groups.add(trial.study_name)
        elif (root / "multirun.yaml").is_file():
            groups.add(root.name)
        else:
            return []
    return sorted(groups)


def build_workspace(
    rows: Sequence[RunResult], project: str, entity: str, root: Path, name: str | None = None
) -> Any:
    """The workspace (a `wandb_workspaces.workspaces.Workspace`) for these runs."""
    import wandb_workspaces.reports.v2 as wr
    import wandb_workspaces.workspaces as ws
    from wandb_workspaces import expr

    trained = [row for row in rows if not row.dry_run]
    tasks = list(dict.fromkeys(task for row in trained for task in row.tasks))
    by_method = {"groupby": wr.Config(METHOD), "groupby_aggfunc": "mean"}
    spread = {**by_method, "groupby_rangefunc": "stderr"}

    def scatter(x: str, title: str) -> Any:
        return wr.ScatterPlot(
            title=title, x=wr.SummaryMetric(x), y=wr.SummaryMetric(SCORE), log_x=True
        )

    efficiency = [scatter(TRAINABLE_PCT, "score against trainable % of the backbone (log)")]
    if any(len(row.tasks) > 1 for row in trained):
        efficiency.append(scatter(PER_TASK_PCT, "score against per-task % (log)"))
    efficiency.append(
        wr.LinePlot(title="validation score", x="Step", y=[VALIDATION_CURVE], **by_method)
    )

    def bars(metric: str, title: str) -> Any:
        return wr.BarPlot(title=title, metrics=[wr.SummaryMetric(metric)], **spread)

    sections = [
        ws.Section(name="Score against trainable parameters", panels=efficiency, is_open=True),
        ws.Section(
            name="Scores per task",
            panels=[bars(task_score(task), f"{task}: test score") for task in tasks],
            is_open=True,
        ),
        ws.Section(
            name="Cost per method",
            panels=[
                bars(STEP_TIME, "training step time (s, median)"),
                bars(PEAK_MEMORY, "peak memory (MB)"),
                bars(TRAINABLE, "trainable parameters"),
            ],
            is_open=True,
        ),
    ]
    searched = search_space(trained)
    if searched:
        columns = [wr.ParallelCoordinatesPlotColumn(metric=wr.Config(key)) for key in searched]
        columns += [
            wr.ParallelCoordinatesPlotColumn(metric=wr.SummaryMetric(key), log=key == TRAINABLE_PCT)
            for key in (TRAINABLE_PCT, VALIDATION_SCORE, SCORE)
        ]
        sweep = [
            wr.ParameterImportancePlot(with_respect_to=VALIDATION_SCORE),
            wr.ParallelCoordinatesPlot(title="searched settings", columns=columns),
        ]
        sections.append(ws.Section(name="Sweep", panels=sweep, is_open=True))
    groups = run_groups(rows, root)
    runset = ws.RunsetSettings(
        groupby=[expr.Config(METHOD)],
        filters=[expr.Metric("Group").isin(groups)] if groups else "",
    )
    return ws.Workspace(
        entity=entity,
        project=project,
        name=name or f"hyperpeft: {root.name}",
        sections=sections,
        runset_settings=runset,
    )


def _field(metric: Any, history: bool = False) -> tuple[str, str]:
    """("summary" | "config" | "history", key) of a panel's metric."""
    kind = type(metric).__name__
    if kind == "Config":
        return ("config", metric.name)
    if kind == "SummaryMetric":
        return ("summary", metric.name)
    return ("history" if history else "run", getattr(metric, "name", metric))


def workspace_fields(workspace: Any) -> set[tuple[str, str]]:
    """Every (section, key) the workspace's panels and run grouping read: `summary` keys,
    `config` keys (dotted) and `history` keys (line plots' y); the x axis `Step` aside."""
    fields: set[tuple[str, str]] = set()
    for section in workspace.sections:
        for panel in section.panels:
            kind = type(panel).__name__
            if kind == "ScatterPlot":
                fields |= {_field(panel.x), _field(panel.y)}
            elif kind == "BarPlot":
                fields |= {_field(metric) for metric in panel.metrics}
            elif kind == "LinePlot":
                fields |= {_field(metric, history=True) for metric in panel.y}
            elif kind == "ParallelCoordinatesPlot":
                fields |= {_field(column.metric) for column in panel.columns}
            elif kind == "ParameterImportancePlot":
                fields.add(("summary", panel.with_respect_to))
            groupby = getattr(panel, "groupby", None)
            if groupby is not None:
                fields.add(_field(groupby))
    for group in workspace.runset_settings.groupby:
        fields.add(("config", group.name))
    return fields
