"""The report per task: a panel and a Pareto front per task, the mean panel over the tasks every
label ran, the labels of mixture and few-shot runs, and the method x task table's cells.

Result folders are written from RunResult objects; nothing is trained.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from hyperpeft.report.cli import PLOT_FILE, REPORT_FILE, main, write_report
from hyperpeft.report.collect import collect
from hyperpeft.report.panels import build_panels
from hyperpeft.report.pareto import front_of
from hyperpeft.report.plot import write_plot
from hyperpeft.report.task_table import task_table_markdown
from hyperpeft.results import RunResult
from hyperpeft.tasks import get_task, load_splits

BACKBONE = 22_713_216
# label -> (trainable %, per-task %, {task: score per seed}); seeds are 1, 2, 3 in order.
# compacter on mrpc (0.81 at 0.07%) beats full fine-tuning on rte (0.72 at 100%) on both axes:
# one front across tasks would drop full rte, which is on rte's own front.
SINGLE = {
    "full": (
        100.0,
        100.0,
        {"rte": (0.70, 0.72, 0.74), "mrpc": (0.86, 0.87, 0.88), "cola": (0.50, 0.52, 0.54)},
    ),
    "compacter": (0.07, 0.07, {"rte": (0.60, 0.62), "mrpc": (0.80, 0.82), "cola": (0.40, 0.42)}),
    "adapter": (0.8, 0.8, {"rte": (0.65, 0.67), "mrpc": (0.83, 0.85)}),  # no cola
}
MIXTURE = {"rte": 0.71, "mrpc": 0.84, "cola": 0.45}  # hyperformer++, one seed, all three tasks


def result(method, scores, seed, pct, per_task, config=None) -> RunResult:
    trainable = int(BACKBONE * pct / 100)
    return RunResult(
        method=method,
        model="minilm",
        tasks=tuple(scores),
        seed=seed,
        params={
            "backbone": BACKBONE,
            "trainable": trainable,
            "trainable_pct": pct,
            "per_task": int(BACKBONE * per_task / 100),
            "per_task_pct": per_task,
        },
        config={"seed": seed, "method": {"name": method}, **(config or {})},
        score=statistics.mean(scores.values()),
        validation_score=statistics.mean(scores.values()),
        metrics={task: {"accuracy": score, "score": score} for task, score in scores.items()},
    )


def write(folder: Path, row: RunResult) -> None:
    folder.mkdir(parents=True)
    row.write(folder)


@pytest.fixture
def benchmark(tmp_path) -> Path:
    root = tmp_path / "bench"
    for method, (pct, per_task, by_task) in SINGLE.items():
        for task, scores in by_task.items():
            for seed, score in enumerate(scores, start=1):
                write(
                    root / f"{method}_{task}_{seed}",
                    result(method, {task: score}, seed, pct, per_task),
                )
    write(root / "hyperformer_mix_1", result("hyperformer++", MIXTURE, 1, 0.3, 0.1))
    return root


def panel_by_title(panels, title):
    return next(panel for panel in panels if panel.title == title)


def test_each_task_has_its_own_front(benchmark):
    rows, _ = collect(benchmark)
    panels = build_panels(rows)
    assert [panel.title for panel in panels] == ["cola", "mrpc", "rte", "mean over mrpc, rte"]
    for task in ("rte", "mrpc", "cola"):
        panel = panel_by_title(panels, task)
        assert all(set(run.tasks) >= {task} for point in panel.points for run in point.runs)
    rte = panel_by_title(panels, "rte")
    assert [p.label for p in rte.front] == ["compacter", "hyperformer++ (mixture)", "full"]
    assert [p.label for p in panel_by_title(panels, "mrpc").front] == [
        "compacter",
        "hyperformer++ (mixture)",
        "full",
    ]
    full = next(p for p in rte.points if p.label == "full")
    assert full.score == pytest.approx(0.72) and full.std == pytest.approx(0.02)
    assert full.seeds == 3 and full.per_task_pct == 100.0
    every = [point for panel in panels if not panel.is_mean for point in panel.points]
    one_front = front_of(every, lambda p: p.per_task_pct, lambda p: p.score)
    assert full not in one_front  # what one front across the tasks did: compacter mrpc beats it
    mixture = next(p for p in rte.points if p.label == "hyperformer++ (mixture)")
    assert mixture.score == pytest.approx(0.71) and mixture.per_task_pct == pytest.approx(0.1)


def test_the_mean_panel_uses_only_the_tasks_every_label_ran(benchmark, tmp_path):
    rows, _ = collect(benchmark)
    panels = write_plot(rows, tmp_path / "plot.png")  # the interface callers use
    assert (tmp_path / "plot.png").read_bytes()[:4] == b"\x89PNG"
    means = [panel for panel in panels if panel.is_mean]
    assert len(means) == 1 and means[0].tasks == ("mrpc", "rte")  # adapter has no cola
    points = {p.label: p for p in means[0].points}
    assert set(points) == {"full", "compacter", "adapter", "hyperformer++ (mixture)"}
    assert points["full"].score == pytest.approx((0.72 + 0.87) / 2)
    assert points["adapter"].score == pytest.approx((0.66 + 0.84) / 2)
    assert points["adapter"].std == pytest.approx(statistics.stdev([0.74, 0.76]))
    assert points["hyperformer++ (mixture)"].score == pytest.approx((0.71 + 0.84) / 2)
    assert [p.label for p in means[0].front] == ["compacter", "hyperformer++ (mixture)", "full"]


def test_no_mean_panel_when_fewer_than_two_tasks_are_shared(tmp_path):
    write(tmp_path / "a", result("adapter", {"rte": 0.6}, 1, 0.8, 0.8))
    write(tmp_path / "b", result("lora", {"mrpc": 0.8}, 1, 0.5, 0.5))
    panels = build_panels(collect(tmp_path)[0])
    assert [panel.title for panel in panels] == ["mrpc", "rte"]


def table_rows(markdown: str) -> dict[str, dict[str, str]]:
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return {
        cells[0]: dict(zip(header, cells, strict=True))
        for line in lines[2:]
        if (cells := [cell.strip() for cell in line.strip("|").split("|")])
    }


def test_the_task_table_has_means_spreads_and_seed_counts(benchmark):
    markdown = task_table_markdown(collect(benchmark)[0])
    rows = table_rows(markdown)
    assert list(next(iter(rows.values()))) == [
        "Method",
        "cola",
        "mrpc",
        "rte",
        "Mean",
        "Trainable %",
        "Per-task %",
    ]
    assert rows["full"]["rte"] == "0.7200 ± 0.0200 (3 seeds)"
    assert rows["full"]["mrpc"] == "0.8700 ± 0.0100 (3 seeds)"
    full_seeds = [statistics.mean(s) for s in zip(*SINGLE["full"][2].values(), strict=True)]
    assert rows["full"]["Mean"] == (
        f"{(0.72 + 0.87 + 0.52) / 3:.4f} ± {statistics.stdev(full_seeds):.4f} (3 seeds)"
    )
    assert rows["compacter"]["cola"] == f"0.4100 ± {statistics.stdev([0.40, 0.42]):.4f} (2 seeds)"
    assert rows["adapter"]["cola"] == "–"
    assert rows["adapter"]["Mean"] == "0.7500 ± 0.0141 (2 seeds) over mrpc, rte"
    mixture = rows["hyperformer++ (mixture)"]
    assert mixture["rte"] == "0.7100 ± 0.0000 (1 seed)"
    assert mixture["Mean"] == f"{statistics.mean(MIXTURE.values()):.4f} ± 0.0000 (1 seed)"
    assert float(mixture["Trainable %"]) == pytest.approx(0.3)
    assert float(mixture["Per-task %"]) == pytest.approx(0.1)
    assert "sample standard deviation over seeds" in markdown
    assert "⚠" not in markdown  # no score here is a single-class answer's


def test_mixture_transfer_and_few_shot_runs_get_their_own_labels(tmp_path):
    k16 = {"data": {"max_train_examples": 16}}
    runs = {
        "mix": result("hyperformer++", {"rte": 0.7, "mrpc": 0.8}, 1, 0.3, 0.15),
        "single": result("hyperformer++", {"rte": 0.68}, 1, 0.2, 0.2),
        "transfer1": result(
            "hyperformer++", {"rte": 0.61}, 1, 0.2, 0.2, {**k16, "init_from": "runs/mix1"}
        ),
        "transfer2": result(
            "hyperformer++", {"rte": 0.63}, 2, 0.2, 0.2, {**k16, "init_from": "runs/mix2"}
        ),
        "adapter_k16": result("adapter", {"rte": 0.55}, 1, 0.8, 0.8, k16),
        "adapter": result("adapter", {"rte": 0.66}, 1, 0.8, 0.8),
    }
    for name, row in runs.items():
        write(tmp_path / name, row)
    rows = table_rows(task_table_markdown(collect(tmp_path)[0]))
    assert set(rows) == {
        "hyperformer++",
        "hyperformer++ (mixture)",
        "hyperformer++ transfer k=16",
        "adapter k=16",
        "adapter",
    }
    assert rows["hyperformer++ transfer k=16"]["rte"] == "0.6200 ± 0.0141 (2 seeds)"
    assert rows["adapter k=16"]["rte"] == "0.5500 ± 0.0000 (1 seed)"
    assert rows["hyperformer++ (mixture)"]["mrpc"] == "0.8000 ± 0.0000 (1 seed)"
    assert rows["hyperformer++"]["mrpc"] == "–"


def test_a_single_class_score_is_flagged(tmp_path, data_dir):
    """A score equal to answering RTE's majority class on the seed's test split is flagged."""
    test = load_splits(get_task("rte"), data_dir, 1).test
    labels = [row["label"] for row in test]
    majority = max(labels.count(label) for label in set(labels)) / len(labels)
    write(tmp_path / "stuck", result("lora", {"rte": majority}, 1, 0.5, 0.5))
    write(tmp_path / "fine", result("adapter", {"rte": 0.66}, 1, 0.8, 0.8))
    markdown = task_table_markdown(collect(tmp_path)[0])
    rows = table_rows(markdown)
    assert rows["lora ⚠"]["rte"] == f"{majority:.4f} ± 0.0000 (1 seed) ⚠ 1/1 one class"
    assert "⚠" not in rows["adapter"]["rte"]
    assert "answering a single class for every test example" in markdown


def test_cli_writes_the_task_table_and_the_panels(benchmark, capsys):
    assert main([str(benchmark)]) == 0
    markdown = (benchmark / REPORT_FILE).read_text()
    assert "## Test score per task" in markdown and "## Runs" in markdown
    assert "## Mean over seeds" in markdown
    assert (benchmark / PLOT_FILE).stat().st_size > 10_000
    front = markdown.split("## Pareto front per task")[1].split("\n## ")[0]
    assert "| full | rte |" in front  # on rte's front, though compacter on mrpc beats it
    out = capsys.readouterr().out
    assert "4 panels" in out
    report = write_report(benchmark)
    assert {run.method for run in report.front} == {"compacter", "hyperformer++", "full"}


def test_threads_and_loader_workers_do_not_make_another_experiment(tmp_path):
    """They change how fast a run goes, not what it scores: one row, not one per setting."""
    runs = {
        "older": result("adapter", {"mrpc": 0.76}, 0, 0.6, 0.6),  # written before the key existed
        "threads0": result("adapter", {"rte": 0.54}, 0, 0.6, 0.6, {"hardware": {"threads": 0}}),
        "threads1": result(
            "adapter",
            {"rte": 0.56},
            1,
            0.6,
            0.6,
            {"hardware": {"threads": 1}, "data": {"num_workers": 2}},
        ),
    }
    for name, row in runs.items():
        write(tmp_path / name, row)
    rows = table_rows(task_table_markdown(collect(tmp_path)[0]))
    assert set(rows) == {"adapter"}
    assert rows["adapter"]["rte"] == "0.5500 ± 0.0141 (2 seeds)"
