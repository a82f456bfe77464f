"""`hyperpeft-report` on a fake multirun folder: table, plot, Pareto front, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest

from hyperpeft.report.cli import PLOT_FILE, REPORT_FILE, main, write_report
from hyperpeft.sweeps import open_storage, resolve_storage

# method: (trainable %, per-task %, test score, step time s); lora is dominated by compacter.
RUNS = {
    "compacter++": (0.047, 0.047, 0.66, 0.101),
    "compacter": (0.073, 0.073, 0.69, 0.105),
    "lora": (0.5, 0.5, 0.65, 0.098),
    "adapter": (0.832, 0.832, 0.70, 0.099),
    "full": (100.0, 100.0, 0.72, 0.2),
}
FRONT = ["compacter++", "compacter", "adapter", "full"]


def write_run(folder: Path, method: str, pct: float, per_task: float, score, step: float, **extra):
    folder.mkdir(parents=True)
    results = {
        "method": method,
        "model": "minilm",
        "tasks": ["rte"],
        "seed": 1,
        "score": score,
        "validation_score": None if score is None else score + 0.01,
        "metrics": {"rte": {"accuracy": score, "score": score}},
        "params": {
            "backbone": 22713216,
            "trainable": int(22713216 * pct / 100),
            "trainable_pct": pct,
            "per_task_pct": per_task,
            "checkpoint_bytes": 1000,
        },
        "step_time_s": step,
        "dry_run": False,
        **extra,
    }
    (folder / "results.json").write_text(json.dumps(results))


def section(markdown: str, title: str) -> list[str]:
    """The table lines of the markdown section whose heading starts with `title`."""
    body = markdown.split(title, 1)[1].split("\n## ", 1)[0]
    return [line for line in body.splitlines() if line.startswith("|")]


@pytest.fixture
def multirun(tmp_path) -> Path:
    root = tmp_path / "multirun" / "2025-01-01_12-00-00"
    for index, (method, (pct, per_task, score, step)) in enumerate(RUNS.items()):
        write_run(root / f"{index}_{method}_rte", method, pct, per_task, score, step)
    write_run(root / "9_bitfit_rte", "bitfit", 0.09, 0.09, None, 0.1, dry_run=True)
    return root


def test_report_writes_a_table_and_a_plot_whose_numbers_match(multirun, capsys):
    assert main([str(multirun)]) == 0
    runs = section((multirun / REPORT_FILE).read_text(), "## Runs")
    for method, (pct, per_task, score, step) in RUNS.items():
        row = next(line for line in runs if line.startswith(f"| {method} | minilm"))
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[2] == "rte" and cells[3] == "1"
        assert float(cells[4]) == pytest.approx(score)
        assert float(cells[6]) == pytest.approx(pct) and float(cells[7]) == pytest.approx(per_task)
        assert float(cells[9]) == pytest.approx(step * 1000)
    dry = next(line for line in runs if line.startswith("| bitfit |"))
    assert "dry run" in dry
    png = (multirun / PLOT_FILE).read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    out = capsys.readouterr().out
    assert str(multirun / REPORT_FILE) in out.replace("\n", "") and PLOT_FILE in out


def test_pareto_front_keeps_the_best_score_per_budget(multirun, tmp_path):
    report = write_report(multirun, out_dir=tmp_path / "report")
    assert [row.method for row in report.front] == FRONT
    assert [row.trainable_pct for row in report.front] == [RUNS[m][0] for m in FRONT]
    assert len(report.rows) == 6 and sum(row.plottable for row in report.rows) == 5
    section = report.markdown.read_text().split("## Pareto front")[1].split("##")[0]
    assert [
        line.split("|")[1].strip()
        for line in section.splitlines()
        if "| minilm" not in line and line.startswith("| ") and "---" not in line
    ][1:] == FRONT


def test_means_over_seeds_keep_different_settings_apart(tmp_path):
    def config(seed, reduction_factor):
        return {"seed": seed, "method": {"name": "adapter", "reduction_factor": reduction_factor}}

    for seed, score in ((1, 0.6), (2, 0.7), (3, 0.8)):
        write_run(
            tmp_path / f"s{seed}",
            "adapter",
            0.8,
            0.8,
            score,
            0.1,
            seed=seed,
            config=config(seed, 32),
        )
    write_run(tmp_path / "r16", "adapter", 1.6, 1.6, 0.75, 0.1, config=config(1, 16))
    means = section(write_report(tmp_path).markdown.read_text(), "## Mean over seeds")
    assert (
        "| adapter | minilm | rte | method.reduction_factor=32 | 3 | 0.7000 ± 0.1000 |" in means[3]
    )
    assert (
        "| adapter | minilm | rte | method.reduction_factor=16 | 1 | 0.7500 ± 0.0000 |" in means[2]
    )


def test_unreadable_results_are_skipped_with_a_warning(multirun, capsys):
    (multirun / "broken").mkdir()
    (multirun / "broken" / "results.json").write_text("{not json")
    assert main([str(multirun)]) == 0
    assert "skipped" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_bad_dir_is_one_line_and_exit_2(tmp_path, capsys, kind):
    folder = tmp_path / kind
    if kind == "empty":
        folder.mkdir()
    assert main([str(folder)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and str(folder) in lines[0] and captured.out == ""


def test_study_trials_are_added(tmp_path, multirun):
    """Runs written by the study's trials elsewhere join the table; trials get their section."""
    elsewhere = tmp_path / "sweep" / "0"
    write_run(elsewhere, "compacter", 0.02, 0.02, 0.675, 0.1)
    url = resolve_storage("sqlite", "compacter_rank", root=tmp_path)
    study = optuna.create_study(
        study_name="compacter_rank", storage=open_storage(url), direction="maximize"
    )
    study.set_user_attr("objectives", ["score"])
    trial = study.ask({"method.phm_rank": optuna.distributions.CategoricalDistribution([1, 2])})
    trial.set_user_attr("output_dir", str(elsewhere))
    trial.set_user_attr("trainable_pct", 0.02)
    study.tell(trial, 0.675)
    pruned = study.ask({"method.phm_rank": optuna.distributions.CategoricalDistribution([1, 2])})
    study.tell(pruned, state=optuna.trial.TrialState.PRUNED)

    db = url.removeprefix("sqlite:///")
    report = write_report(multirun, study=db)  # a path works as well as a URL
    assert len(report.rows) == 7
    assert report.front[0].run_dir == elsewhere.resolve()
    markdown = report.markdown.read_text()
    assert "## Study `compacter_rank`" in markdown and "1 complete, 1 pruned" in markdown
    assert "| 1 | pruned |" in markdown


def test_unknown_study_name_is_exit_2(tmp_path, multirun, capsys):
    url = resolve_storage("sqlite", "a", root=tmp_path)
    optuna.create_study(study_name="a", storage=open_storage(url))
    assert main([str(multirun), "--study", url, "--study-name", "b"]) == 2
    assert "no study 'b'" in capsys.readouterr().err


def test_scores_are_named_test_score_and_validation_score(multirun):
    """The same words as the run's summary and the sweeper's log: never a bare "score"."""
    assert main([str(multirun)]) == 0
    markdown = (multirun / REPORT_FILE).read_text()
    headers = [section(markdown, title)[0] for title in ("## Runs", "## Pareto front")]
    cells = [cell.strip() for header in headers for cell in header.strip("|").split("|")]
    assert {"Test score", "Validation score"} <= set(cells)
    assert not {cell for cell in cells if cell.lower() in ("score", "val. score")}
    runs = section(markdown, "## Runs")
    columns = [cell.strip() for cell in runs[0].strip("|").split("|")]
    compacter = next(line for line in runs if line.startswith("| compacter | minilm"))
    row = dict(
        zip(columns, [cell.strip() for cell in compacter.strip("|").split("|")], strict=True)
    )
    assert float(row["Test score"]) == pytest.approx(0.69)
    assert float(row["Validation score"]) == pytest.approx(0.70)
