"""Our side again: a peer's predictions scored with hyperpeft's own task metrics, as a
results.json in RunResult's format, so the report reads a peer cell like one of our runs.

Model selection as our run does it: the evaluation with the best mean validation score (the
first of equals), and that evaluation's test metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from omegaconf import DictConfig, OmegaConf

from hyperpeft.machine import machine_info
from hyperpeft.results import RunResult


def task_examples(cfg: DictConfig) -> tuple[Any, dict[str, list]]:
    """The task and its evaluation examples, by the run's data step (the cache makes it quick)."""
    from hyperpeft.backbones import load_backbone
    from hyperpeft.recipe.build import RunParts
    from hyperpeft.recipe.data import prepare_data
    from hyperpeft.tasks import get_task

    task = get_task(cfg.task.tasks[0], cfg.task.get("custom"))
    backbone = load_backbone(cfg.model, device="meta")
    data = prepare_data(cfg, RunParts([task], backbone, method=None))
    return task, data.task_data[0].examples


def score_split(task: Any, predictions: Sequence, examples: Sequence) -> dict[str, float]:
    metrics = {
        name: float(value) for name, value in task.compute_metrics(predictions, examples).items()
    }
    metrics["score"] = float(task.score(metrics))
    return metrics


def best_evaluation(task: Any, evaluations: Sequence[dict], examples: dict[str, list]) -> dict:
    """The evaluation with the highest validation score (the earliest among equals), scored."""
    if not evaluations:
        raise ValueError("the peer wrote no evaluation: its run was shorter than eval_every")
    best = None
    for evaluation in evaluations:
        validation = score_split(task, evaluation["validation"], examples["validation"])
        if best is None or validation["score"] > best["validation"]["score"]:
            best = {"step": evaluation["step"], "validation": validation, "raw": evaluation}
    best["test"] = score_split(task, best.pop("raw")["test"], examples["test"])
    return best


def peer_result(
    cfg: DictConfig, method: str, matched: dict, worker: dict, task: Any, examples: dict
) -> RunResult:
    """`cfg`: the composed config of our matching run (same task, seed, budget and data)."""
    best = best_evaluation(task, worker["evaluations"], examples)
    backbone, trainable = int(worker["backbone"]), int(worker["trainable"])
    config = OmegaConf.to_container(cfg, resolve=True)
    config["method"] = {
        **matched,
        "name": method,
        "matched_to": matched["method"],  # our method whose settings the peer takes
        "versions": worker.get("versions", {}),
    }
    return RunResult(
        method=method,
        model=str(cfg.model.name),
        tasks=(task.name,),
        seed=int(cfg.seed),
        params={
            "backbone": backbone,
            "trainable": trainable,
            "trainable_pct": 100.0 * trainable / backbone,
            "tasks": 1,
            "per_task": trainable,
            "per_task_pct": 100.0 * trainable / backbone,
        },
        config=config,
        score=best["test"]["score"],
        validation_score=best["validation"]["score"],
        best_step=int(best["step"]),
        metrics={task.name: best["test"]},
        validation={task.name: best["validation"]},
        steps=int(worker["steps"]),
        step_time_s=worker.get("step_time_s"),
        peak_memory_mb=worker.get("peak_memory_mb"),
        wall_time_s=worker.get("wall_time_s"),
        task_proportions={task.name: 1.0},
        task_probabilities={task.name: 1.0},
        # the worker ran on this machine, with its own torch and threads
        machine={
            **machine_info(),
            "torch": worker.get("versions", {}).get("torch", "?"),
            "threads": int(worker.get("threads", 0)),
        },
    )
