"""`hyperpeft` end to end on tiny random models and the real data files."""

from __future__ import annotations

import json

import pytest

from tests.helpers.commands import FAST

pytestmark = pytest.mark.e2e

PARAM_KEYS = {
    "backbone",
    "trainable",
    "trainable_pct",
    "per_task",
    "per_task_pct",
    "checkpoint_bytes",
}


def _check_results(finished, tasks):
    assert finished.returncode == 0, finished.stderr[-3000:]
    results = finished.results
    assert results["tasks"] == tasks
    assert set(results["params"]) >= PARAM_KEYS
    assert set(results["metrics"]) == set(tasks)
    for metrics in results["metrics"].values():
        assert -1.0 <= metrics["score"] <= 1.0  # fractions; a correlation may be negative
    assert results["score"] == pytest.approx(
        sum(m["score"] for m in results["metrics"].values()) / len(tasks)
    )
    assert results["steps"] == 6
    assert results["step_time_s"] > 0 and results["peak_memory_mb"] > 0
    assert results["wall_time_s"] > 0
    assert sum(results["task_proportions"].values()) == pytest.approx(1.0)
    weights = finished.run_dir / "checkpoint" / "model.safetensors"
    assert weights.stat().st_size == results["params"]["checkpoint_bytes"]
    assert (finished.run_dir / "config.yaml").exists()
    assert "trainable" in finished.stdout  # the parameter table was printed
    return results


def test_full_finetuning_on_tiny_bert_rte(hyperpeft):
    finished = hyperpeft("model=tiny-bert", "method=full", "task=rte", *FAST)
    results = _check_results(finished, ["rte"])
    assert results["params"]["trainable"] > results["params"]["backbone"]  # + the task head
    assert results["task_proportions"] == {"rte": 1.0}


def test_superglue_subset_on_tiny_t5(hyperpeft):
    tasks = ["cb", "copa", "multirc", "superglue-rte", "wic", "wsc"]
    finished = hyperpeft(
        "model=tiny-t5", "method=full", "task=superglue", f"task.tasks=[{','.join(tasks)}]", *FAST
    )
    results = _check_results(finished, tasks)
    assert results["params"]["per_task"] == pytest.approx(results["params"]["trainable"] / 6)


def test_dry_run_writes_the_table_without_data(inprocess, tmp_path):
    finished = inprocess(
        "model=t5-base", "model.pretrained=false", "method=compacter", "dry_run=true"
    )
    assert finished.result.dry_run and finished.result.score is None
    assert "compacter on t5-base" in finished.stdout
    params = json.loads((tmp_path / "run" / "results.json").read_text())["params"]
    assert params["backbone"] == 222_903_552  # T5-base, embeddings shared by encoder and decoder
    assert round(params["trainable_pct"], 3) == 0.073  # the Compacter paper's figure
    assert not (tmp_path / "run" / "checkpoint").exists()  # nothing trained, nothing saved


def test_a_second_encoder_type_trains_its_task_heads(cli, tmp_path):
    # RoBERTa shares BERT's module names: one table entry and one YAML, nothing else
    finished = cli(
        "model=tiny-roberta",
        "method=adapter",
        "method.reduction_factor=8",
        "task=glue",
        "task.tasks=[rte,stsb]",
        *FAST,
    )
    assert finished.code == 0, finished.stderr[-3000:]
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["model"] == "tiny-roberta" and results["steps"] == 6
    assert set(results["metrics"]) == {"rte", "stsb"}
    assert 0 < results["params"]["trainable_pct"] < 100


@pytest.mark.parametrize(
    ("model", "backbone"),
    [
        ("roberta-base", 124_055_040),  # RoBERTa-base's 124.6M without the unused pooler
        ("mt5-small", None),
    ],
)
def test_dry_runs_of_other_backbone_types(cli, tmp_path, model, backbone):
    finished = cli(f"model={model}", "model.pretrained=false", "method=lora", "dry_run=true")
    assert finished.code == 0, finished.stderr[-3000:]
    params = json.loads((tmp_path / "run" / "results.json").read_text())["params"]
    if backbone is not None:
        assert params["backbone"] == backbone
    assert 0 < params["trainable"] < params["backbone"] / 100


def test_a_finished_run_ends_with_its_scores_and_its_folder(hyperpeft):
    """One line per task (its test metrics, test score and validation score), the mean over the
    tasks, and the run folder: the numbers of results.json."""
    finished = hyperpeft(
        "model=tiny-bert", "method=lora", "task=glue", "task.tasks=[rte,mrpc]", *FAST
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    results = finished.results
    *tasks, mean, folder = finished.stdout.strip().splitlines()[-4:]
    for line, (task, metrics) in zip(tasks, results["metrics"].items(), strict=True):
        assert line.split()[0] == task
        for name, value in metrics.items():
            label = "test score" if name == "score" else name
            assert f"{label} {value:.4f}" in line
        assert f"validation score {results['validation'][task]['score']:.4f}" in line
    assert mean.startswith(f"mean over 2 task(s): test score {results['score']:.4f}")
    assert f"validation score {results['validation_score']:.4f}" in mean
    assert folder.startswith(f"run folder: {finished.run_dir.resolve()} (results.json")
