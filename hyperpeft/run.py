"""One run, top to bottom: compose -> validate -> build -> print the table -> fit -> test -> write.

Everything a run produces lands in its Hydra output folder: `config.yaml` (composed),
`results.json`, `checkpoint/model.safetensors` (trained parameters only) and `checkpoint/last.ckpt`
(resumable), and the logger's files.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.utilities.exceptions import SIGTERMException

from hyperpeft.atomic import atomic_write_text
from hyperpeft.backbones import load_backbone
from hyperpeft.data.datamodule import MultiTaskDataModule
from hyperpeft.data.sampler import temperature_probabilities
from hyperpeft.data.task_data import build_task_data
from hyperpeft.errors import ConfigError, DataError
from hyperpeft.methods import build_method
from hyperpeft.methods.accounting import count_parameters
from hyperpeft.report_table import print_parameter_table
from hyperpeft.sweeps.callback import OptunaPruningCallback
from hyperpeft.tasks import get_task, missing_files
from hyperpeft.tracking.wandb import log_run_summary
from hyperpeft.training.callbacks import BestWeights, StepTimer, peak_memory_mb
from hyperpeft.training.checkpoints import (
    RESUME_FILE,
    WEIGHTS_FILE,
    checkpoint_bytes,
    load_trained_weights,
)
from hyperpeft.training.module import MultiTaskModule, RunInterrupted
from hyperpeft.training.trainer import build_trainer
from hyperpeft.validation import validate_config

RESULTS_FILE = "results.json"


def write_json_atomic(path: Path, payload: dict) -> None:
    atomic_write_text(path, json.dumps(payload, indent=2, default=str))


def check_data_present(tasks: list[Any], data_dir: str | None) -> None:
    """Name every missing file of the mixture at once, and the override that runs the rest."""
    if data_dir is None:
        return
    missing = {task.name: missing_files(task, data_dir) for task in tasks}
    absent = {name: files for name, files in missing.items() if files}
    if not absent:
        return
    files = ", ".join(str(path) for paths in absent.values() for path in paths)
    present = [task.name for task in tasks if task.name not in absent]
    hint = (
        f"to run the tasks that are present: task.tasks=[{','.join(present)}]"
        if present
        else "none of the mixture's files are there"
    )
    raise DataError(
        f"data for {', '.join(absent)} not found under {data_dir} (data.dir / HYPERPEFT_DATA_DIR): "
        f"missing {files}; {hint}; or point data.dir at a folder in the official layout"
    )


def check_model_fits(cfg: DictConfig, backbone: Any) -> None:
    """Pairs that cannot work: inputs longer than the model's position table."""
    positions = getattr(backbone.model.config, "max_position_embeddings", None)
    if positions is not None and cfg.model.max_length > positions:
        raise ConfigError(
            "model.max_length",
            cfg.model.max_length,
            f"{cfg.model.name} has {positions} positions; use at most that",
        )


def run_metadata(cfg: DictConfig) -> dict:
    """What a checkpoint records so it can be rebuilt and checked against a later run."""
    return {
        "model": cfg.model.name,
        "method": cfg.method.name,
        "tasks": list(cfg.task.tasks),
        "config": OmegaConf.to_container(cfg, resolve=True),
    }


def build_module(cfg: DictConfig, dry_run: bool = False) -> tuple[MultiTaskModule, list, Any]:
    """The backbone, method and heads of a run; a dry run of a model built from settings
    puts it on the meta device (shapes only, nothing allocated)."""
    tasks = [get_task(name, cfg.task.get("custom")) for name in cfg.task.tasks]
    device = "meta" if dry_run and not cfg.model.pretrained else None
    backbone = load_backbone(cfg.model, with_tokenizer=not dry_run, device=device)
    check_model_fits(cfg, backbone)
    method = build_method(cfg.method, backbone, [task.name for task in tasks])
    learning_rate = cfg.trainer.learning_rate or method.learning_rate
    max_steps = int(cfg.trainer.max_steps)
    module = MultiTaskModule(
        backbone,
        method,
        tasks,
        learning_rate=float(learning_rate),
        weight_decay=cfg.trainer.weight_decay,
        warmup_steps=int(cfg.trainer.warmup_ratio * max_steps),
        total_steps=max_steps,
        head_dropout=cfg.trainer.head_dropout,
    )
    return module, tasks, backbone


def parameter_table(module: MultiTaskModule, metadata: dict) -> dict:
    extra = (module.heads,) if module.heads is not None else ()
    params = count_parameters(module.backbone, module.method, extra_modules=extra)
    params["checkpoint_bytes"] = checkpoint_bytes(module.trainable_state_dict(), metadata)
    return params


def _resume_path(resume: str | None) -> str | None:
    if resume is None:
        return None
    path = Path(resume)
    return str(path / "checkpoint" / RESUME_FILE if path.is_dir() else path)


def run(cfg: DictConfig, run_dir: Path) -> dict:
    """Train, evaluate and record one run; returns what sweeps optimise."""
    started = time.perf_counter()
    validate_config(cfg)
    pl.seed_everything(cfg.seed, workers=True, verbose=False)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    metadata = run_metadata(cfg)

    module, tasks, backbone = build_module(cfg, dry_run=cfg.dry_run)
    if cfg.checkpoint:
        load_trained_weights(module, cfg.checkpoint, metadata)
    params = parameter_table(module, metadata)
    print_parameter_table(params, cfg.method.name, cfg.model.name, len(tasks))
    results: dict[str, Any] = {
        "method": cfg.method.name,
        "model": cfg.model.name,
        "tasks": [task.name for task in tasks],
        "seed": cfg.seed,
        "params": params,
        "dry_run": bool(cfg.dry_run),
        "config": metadata["config"],
    }
    if cfg.dry_run:
        results["wall_time_s"] = time.perf_counter() - started
        write_json_atomic(run_dir / RESULTS_FILE, results)
        return {"score": None, "trainable": params["trainable"], **params}

    data_dir = cfg.data.dir
    check_data_present(tasks, data_dir)
    limits = {
        "train": cfg.data.max_train_examples,
        "validation": cfg.data.max_eval_examples,
        "test": cfg.data.max_eval_examples,
    }
    task_data = [
        build_task_data(
            task,
            backbone.tokenizer,
            backbone.is_encoder_decoder,
            data_dir,
            cfg.seed,
            cfg.model.max_length,
            limits,
            cfg.data.cache_dir,
        )[0]
        for task in tasks
    ]
    module.eval_examples = {
        split: [data.examples[split] for data in task_data] for split in ("validation", "test")
    }
    accumulate = int(cfg.trainer.accumulate_grad_batches)
    datamodule = MultiTaskDataModule(
        task_data,
        pad_token_id=backbone.tokenizer.pad_token_id,
        batch_size=cfg.trainer.batch_size,
        eval_batch_size=cfg.trainer.eval_batch_size,
        num_batches=max(int(cfg.trainer.max_steps), 1) * accumulate,
        temperature=cfg.task.temperature,
        seed=cfg.seed,
        num_workers=cfg.data.num_workers,
    )
    best = BestWeights(run_dir / "checkpoint", metadata)
    timer = StepTimer()
    callbacks: list = [best, timer]
    pruning = OptunaPruningCallback.from_config(cfg)  # None outside an Optuna sweep
    if pruning is not None:
        callbacks.append(pruning)
    trainer, logger = build_trainer(cfg, run_dir, callbacks)

    if cfg.trainer.max_steps > 0:
        try:
            trainer.fit(module, datamodule=datamodule, ckpt_path=_resume_path(cfg.trainer.resume))
        except (SIGTERMException, SystemExit) as err:  # Ctrl-C exits inside Lightning
            raise RunInterrupted(run_dir, trainer.global_step) from err
        if best.last_step != trainer.global_step:  # the budget ended between two evaluations
            trainer.validate(module, datamodule=datamodule, verbose=False)
    else:
        trainer.validate(module, datamodule=datamodule, verbose=False)

    weights = run_dir / "checkpoint" / WEIGHTS_FILE
    if best.best_state is not None:
        module.load_state_dict(best.best_state, strict=False)
    elif weights.exists():
        load_trained_weights(module, weights, metadata)
    trainer.test(module, datamodule=datamodule, verbose=False)

    sizes = [data.size("train") for data in task_data]
    counts = module.task_counts
    total = max(sum(counts), 1)
    validation = best.best_metrics or module.last_metrics.get("validation", {})
    results.update(
        {
            "score": module.last_metrics["test"]["score"],
            "validation_score": best.best_score if best.best_step >= 0 else None,
            "best_step": best.best_step,
            "metrics": module.last_metrics["test"]["tasks"],
            "validation": validation.get("tasks", {}),
            "steps": trainer.global_step,
            "step_time_s": timer.step_time,
            "peak_memory_mb": peak_memory_mb(),
            "wall_time_s": time.perf_counter() - started,
            "task_proportions": {t.name: c / total for t, c in zip(tasks, counts, strict=True)},
            "task_probabilities": dict(
                zip(
                    [t.name for t in tasks],
                    temperature_probabilities(sizes, cfg.task.temperature).tolist(),
                    strict=True,
                )
            ),
        }
    )
    if logger is not None:
        shares = results["task_proportions"].items()
        logger.log_metrics({f"proportion/{name}": share for name, share in shares})
    if trainer.is_global_zero:
        write_json_atomic(run_dir / RESULTS_FILE, results)
    if cfg.logger.name == "wandb":
        log_run_summary(logger, results)
    return {
        "score": results["validation_score"],
        "trainable": params["trainable"],
        "trainable_pct": params["trainable_pct"],
        "test_score": results["score"],
    }
