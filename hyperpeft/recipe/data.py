"""Step 2, prepare data: every task's examples and token ids, and the mixture's data module.

Missing files are named all at once, before anything is tokenised, with the override that runs
the tasks that are there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig

from hyperpeft.data.datamodule import MultiTaskDataModule
from hyperpeft.data.task_data import TaskData, build_task_data
from hyperpeft.errors import DataError
from hyperpeft.recipe.build import RunParts
from hyperpeft.tasks import Task
from hyperpeft.tasks.custom import CustomTask
from hyperpeft.tasks.head import Head

EVAL_SPLITS = ("validation", "test")


@dataclass
class PreparedData:
    task_data: list[TaskData]
    datamodule: MultiTaskDataModule

    @property
    def eval_examples(self) -> dict[str, list[list[Any]]]:
        """Per evaluation split, each task's examples: what the module's metrics compare with."""
        return {split: [data.examples[split] for data in self.task_data] for split in EVAL_SPLITS}

    def train_sizes(self) -> list[int]:
        return [data.size("train") for data in self.task_data]

    def regression_label_means(self) -> dict[str, float]:
        """Each regression task's mean training label: where its head's bias starts."""
        means = {}
        for data in self.task_data:
            labels = [float(f.label) for f in data.features["train"]]
            if data.task.head == Head.REGRESSION and labels:
                means[data.task.name] = sum(labels) / len(labels)
        return means


def prepare_data(cfg: DictConfig, parts: RunParts) -> PreparedData:
    """Load, split, limit and tokenise each task (or take the cache), then mix them."""
    check_data_present(parts.tasks, cfg.data.dir)
    tokenizer = parts.backbone.tokenizer
    limits = {
        "train": cfg.data.max_train_examples,
        "validation": cfg.data.max_eval_examples,
        "test": cfg.data.max_eval_examples,
    }
    task_data = [
        build_task_data(
            task,
            tokenizer,
            parts.backbone.formulation,
            cfg.data.dir,
            cfg.seed,
            cfg.model.max_length,
            limits,
            cfg.data.cache_dir,
        )[0]
        for task in parts.tasks
    ]
    accumulate = int(cfg.trainer.accumulate_grad_batches)
    datamodule = MultiTaskDataModule(
        task_data,
        parts.backbone.formulation,
        pad_token_id=tokenizer.pad_token_id,
        batch_size=cfg.trainer.batch_size,
        eval_batch_size=cfg.trainer.eval_batch_size,
        num_batches=max(int(cfg.trainer.max_steps), 1) * accumulate,
        temperature=cfg.task.temperature,
        seed=cfg.seed,
        num_workers=cfg.data.num_workers,
    )
    return PreparedData(task_data, datamodule)


def check_data_present(tasks: Sequence[Task], data_dir: str | None) -> None:
    """Name every missing file of the mixture at once, and the override that runs the rest.
    A custom task's files are named by the keys that give them, not by data.dir."""
    for task in tasks:
        if isinstance(task, CustomTask) and (error := task.missing_files_error()) is not None:
            raise error
    if data_dir is None:
        return
    benchmark = [task for task in tasks if not isinstance(task, CustomTask)]
    missing = {task.name: task.missing_files(data_dir) for task in benchmark}
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
