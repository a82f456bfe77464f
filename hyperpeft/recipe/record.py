"""Step 4, record: the run's `RunResult`, written to results.json and sent to the logger, and a
summary a user reads at the end: each task's test metrics, the mean, and where the run is.

Only rank 0 writes the file and prints (every DDP rank reaches this step with the same numbers).
"""

from __future__ import annotations

import time
from pathlib import Path

from omegaconf import DictConfig
from pytorch_lightning.loggers import Logger, WandbLogger

from hyperpeft.data.sampler import temperature_probabilities
from hyperpeft.machine import machine_info
from hyperpeft.recipe.data import PreparedData
from hyperpeft.recipe.fit import Fitted
from hyperpeft.results import RunResult
from hyperpeft.tracking.weights_and_biases import log_run_summary
from hyperpeft.training.callbacks import peak_memory_mb
from hyperpeft.training.checkpoints import CHECKPOINT_DIR, WEIGHTS_FILE
from hyperpeft.training.module import MultiTaskModule


def dry_run_result(cfg: DictConfig, params: dict, metadata: dict, started: float) -> RunResult:
    """A dry run measures the parameter table only."""
    return RunResult(
        method=cfg.method.name,
        model=cfg.model.name,
        tasks=tuple(cfg.task.tasks),
        seed=cfg.seed,
        params=params,
        dry_run=True,
        config=metadata["config"],
        wall_time_s=time.perf_counter() - started,
        machine=machine_info(),
    )


def trained_result(
    cfg: DictConfig,
    params: dict,
    metadata: dict,
    module: MultiTaskModule,
    data: PreparedData,
    fitted: Fitted,
) -> RunResult:
    """Test metrics of the best weights, the best validation, the costs and the task mix."""
    names = [task.name for task in module.tasks]
    total = max(sum(module.task_counts), 1)
    probabilities = temperature_probabilities(data.train_sizes(), cfg.task.temperature)
    best = fitted.best
    test = module.last_metrics["test"]
    validation = best.best_metrics or module.last_metrics.get("validation", {})
    return RunResult(
        method=cfg.method.name,
        model=cfg.model.name,
        tasks=tuple(names),
        seed=cfg.seed,
        params=params,
        dry_run=False,
        config=metadata["config"],
        score=test["score"],
        validation_score=best.best_score if best.best_step >= 0 else None,
        best_step=best.best_step,
        metrics=test["tasks"],
        validation=validation.get("tasks", {}),
        steps=fitted.trainer.global_step,
        step_time_s=fitted.timer.step_time,
        peak_memory_mb=peak_memory_mb(),
        wall_time_s=fitted.timer.wall_time_s(),  # the parts before a resume included
        task_proportions={n: c / total for n, c in zip(names, module.task_counts, strict=True)},
        task_probabilities=dict(zip(names, probabilities.tolist(), strict=True)),
        machine=machine_info(),
    )


def record(
    result: RunResult, run_dir: Path, logger: Logger | None = None, is_global_zero: bool = True
) -> RunResult:
    """Log the realised task mix, write results.json, put the result in the W&B run summary."""
    if logger is not None and result.task_proportions:
        shares = result.task_proportions.items()
        logger.log_metrics({f"proportion/{name}": share for name, share in shares})
    if is_global_zero:
        path = result.write(run_dir)
        print("\n".join(summary_lines(result, path)))
    if isinstance(logger, WandbLogger):
        log_run_summary(logger, result)
    return result


def summary_lines(result: RunResult, results_file: Path) -> list[str]:
    """One line per task (its test metrics and test score), the mean, and the run's folder."""
    where = f"run folder: {results_file.parent.resolve()} ({results_file.name}"
    if result.dry_run:
        return [f"dry run: the parameter table is in {results_file.resolve()}"]
    width = max(len(name) for name in result.metrics) if result.metrics else 0
    lines = []
    for task, metrics in result.metrics.items():
        shown = "  ".join(
            f"{name} {value:.4f}" for name, value in metrics.items() if name != "score"
        )
        validation = result.validation.get(task, {}).get("score")
        lines.append(
            f"{task:<{width}}  {shown}  test score {_number(metrics.get('score'))}  "
            f"validation score {_number(validation)}"
        )
    lines.append(
        f"mean over {len(result.metrics)} task(s): test score {_number(result.score)}  "
        f"validation score {_number(result.validation_score)} (best at step {result.best_step})"
    )
    lines.append(f"{where}, {CHECKPOINT_DIR}/{WEIGHTS_FILE})")
    return lines


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"
