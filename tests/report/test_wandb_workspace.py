"""`hyperpeft-report DIR --wandb-project P`: the W&B workspace of a report's runs. Offline (the
only way here) it is built and written as JSON; every field its panels read is one the runs
log: a key of the run summary (`run_summary`), of the config, or of the history the module logs
while training (the CSV logger's metrics.csv gets the same keys as W&B)."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest

from hyperpeft.report.cli import REPORT_FILE, main
from hyperpeft.report.publish import WORKSPACE_FILE
from hyperpeft.report.workspace import build_workspace, workspace_fields
from hyperpeft.results import RunResult
from hyperpeft.tracking.weights_and_biases import run_summary
from tests.helpers.commands import REPORT, run_command
from tests.helpers.trained_runs import trained_runs  # noqa: F401  (the shared fixture)

pytestmark = pytest.mark.e2e

RUNS = {
    "lora": ("model=tiny-bert", "method=lora", "task=rte"),
    "adapter": ("model=tiny-bert", "method=adapter", "method.reduction_factor=8", "task=glue",
                "task.tasks=[rte,stsb]"),
}  # fmt: skip
CREDENTIALS = ("WANDB_API_KEY", "WANDB_IDENTITY_TOKEN_FILE", "WANDB_BASE_URL", "WANDB_MODE")


@pytest.fixture(scope="module")
def run_dirs(trained_runs) -> dict[str, Path]:  # noqa: F811
    return {name: trained_runs(*overrides) for name, overrides in RUNS.items()}


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """A machine nobody logged into W&B from."""
    for name in CREDENTIALS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))


def dotted(config: Mapping, prefix: str = "") -> set[str]:
    keys = set()
    for key, value in config.items():
        if isinstance(value, Mapping):
            keys |= dotted(value, f"{prefix}{key}.")
        else:
            keys.add(f"{prefix}{key}")
    return keys


def logged(rows: list[RunResult], run_dirs) -> set[tuple[str, str]]:
    """Every (section, key) some run logs."""
    fields = set()
    for row in rows:
        fields |= {("summary", key) for key in run_summary(row)}
        fields |= {("config", key) for key in dotted(row.config)}
    for run_dir in run_dirs:
        with (run_dir / "logs" / "metrics.csv").open(newline="") as handle:
            fields |= {("history", key) for key in next(csv.reader(handle))}
    return fields


def sweep_trials(row: RunResult, ranks=(4, 8, 16)) -> list[RunResult]:
    """The run as the trials of a study over LoRA's rank, as the sweeper's jobs record them."""
    trials = []
    for number, rank in enumerate(ranks):
        config = json.loads(json.dumps(row.config))
        config["method"]["rank"] = rank
        config["optuna"] = {**config["optuna"], "study_name": "lora_rank", "trial_number": number,
                            "storage": "sqlite:///x.db"}  # fmt: skip
        trials.append(dataclasses.replace(row, config=config))
    return trials


def panels(workspace) -> dict[str, list]:
    return {section.name: section.panels for section in workspace.sections}


def test_every_field_the_panels_read_is_logged(run_dirs, tmp_path):
    rows = [RunResult.read(path) for path in run_dirs.values()]
    rows += sweep_trials(rows[0])
    workspace = build_workspace(rows, "hp", "team", tmp_path)
    fields = workspace_fields(workspace)
    missing = fields - logged(rows, run_dirs.values())
    assert not missing, missing
    assert {("summary", "score"), ("summary", "trainable_pct"), ("config", "method.name"),
            ("summary", "test/rte/score"), ("summary", "test/stsb/score"),
            ("summary", "step_time_s"), ("summary", "peak_memory_mb"),
            ("config", "method.rank"), ("history", "val/score")} <= fields  # fmt: skip


def test_the_panels_compare_methods_by_score_per_trainable_parameter(run_dirs, tmp_path):
    rows = [RunResult.read(path) for path in run_dirs.values()]
    sections = panels(build_workspace(rows, "hp", "team", tmp_path))
    assert "Sweep" not in sections  # no Optuna trials among these runs
    efficiency = sections["Score against trainable parameters"]
    scatter = efficiency[0]
    assert type(scatter).__name__ == "ScatterPlot" and scatter.log_x
    assert (scatter.x.name, scatter.y.name) == ("trainable_pct", "score")
    assert [p.x.name for p in efficiency if type(p).__name__ == "ScatterPlot"] == [
        "trainable_pct", "per_task_pct"  # the adapter run is a two-task mixture
    ]  # fmt: skip
    per_task = sections["Scores per task"]
    assert [p.metrics[0].name for p in per_task] == ["test/rte/score", "test/stsb/score"]
    assert all(p.groupby.name == "method.name" for p in per_task)
    costs = [p.metrics[0].name for p in sections["Cost per method"]]
    assert costs == ["step_time_s", "peak_memory_mb", "trainable"]


def test_a_sweep_gets_parameter_importance_and_parallel_coordinates(run_dirs, tmp_path):
    trials = sweep_trials(RunResult.read(run_dirs["lora"]))
    workspace = build_workspace(trials, "hp", "team", tmp_path)
    importance, coordinates = panels(workspace)["Sweep"]
    assert importance.with_respect_to == "validation_score"
    columns = [column.metric.name for column in coordinates.columns]
    assert columns == ["method.rank", "trainable_pct", "validation_score", "score"]
    view = workspace._to_model().model_dump(by_alias=True, exclude_none=True)
    filters = view["spec"]["section"]["runSets"][0]["filters"]["filters"]
    assert [(f["key"]["name"], f["op"], f["value"]) for f in filters] == [
        ("group", "IN", ["lora_rank"])  # only the study's runs: its W&B group
    ]


def test_offline_the_command_writes_the_workspace_beside_the_report(run_dirs, tmp_path):
    multirun = tmp_path / "2025-01-01_12-00-00"
    for name, path in run_dirs.items():
        shutil.copytree(path, multirun / name)
    (multirun / "multirun.yaml").write_text("hydra: {}\n")
    env = {key: value for key, value in os.environ.items() if key not in CREDENTIALS}
    env |= {"WANDB_MODE": "offline", "NETRC": str(tmp_path / "no-netrc")}
    done = run_command(REPORT, str(multirun), "--wandb-project", "hp", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    spec_path = multirun / WORKSPACE_FILE
    assert spec_path.is_file() and (multirun / REPORT_FILE).is_file()
    assert f"W&B workspace (offline): {spec_path}" in done.stdout
    assert "to publish it" in done.stdout and "WANDB_API_KEY" in done.stdout
    spec = json.loads(spec_path.read_text())
    assert spec["project"] == "hp" and spec["entity"] is None
    rows = [RunResult.read(path) for path in run_dirs.values()]
    reads = {tuple(field.split(":", 1)) for field in spec["reads"]}
    assert reads and reads <= logged(rows, run_dirs.values())
    filters = spec["view"]["spec"]["section"]["runSets"][0]["filters"]["filters"]
    assert [f["value"] for f in filters] == [["2025-01-01_12-00-00"]]  # the multirun's group
    kinds = [panel["panel"] for panel in spec["panels"]]
    assert kinds.count("ScatterPlot") == 2 and "BarPlot" in kinds and "LinePlot" in kinds


def test_online_without_credentials_is_one_line(run_dirs, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WANDB_MODE", "online")
    assert main([str(run_dirs["lora"]), "--out", str(tmp_path), "--wandb-project", "hp"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "WANDB_MODE='online'" in lines[0]
