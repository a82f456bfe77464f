"""The real training batches every cell runs on, built once through hyperpeft's data path.

The task's real training split is tokenised and batched by the same code a run uses (tokenizer,
task features, temperature sampler, collator with dynamic padding), then saved as plain tensors,
so the peers' process, which cannot import hyperpeft, trains on the very same token ids.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from benchmarks.speed.settings import Settings

Batch = dict[str, Any]


def build_batches(settings: Settings) -> tuple[list[Batch], dict]:
    """`settings.batches_per_round` training batches of the task, as a run would draw them, and
    what a peer's head needs to know (the formulation, the head, the number of labels)."""
    import transformers

    from benchmarks.speed.ours import compose
    from hyperpeft.backbones import load_backbone
    from hyperpeft.data.datamodule import MultiTaskDataModule
    from hyperpeft.data.task_data import build_task_data
    from hyperpeft.tasks import get_task

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    cfg = compose(settings, "lora", method_overrides=False)
    backbone = load_backbone(cfg.model, device="meta")  # the tokenizer and the formulation
    tokenizer = backbone.tokenizer
    tasks = [get_task(name, cfg.task.get("custom")) for name in cfg.task.tasks]
    limits = {"train": None, "validation": None, "test": None}  # the cache entry a run makes
    task_data = [
        build_task_data(
            task,
            tokenizer,
            backbone.formulation,
            cfg.data.dir,
            cfg.seed,
            cfg.model.max_length,
            limits,
            cfg.data.cache_dir,
        )[0]
        for task in tasks
    ]
    datamodule = MultiTaskDataModule(
        task_data,
        backbone.formulation,
        pad_token_id=tokenizer.pad_token_id,
        batch_size=settings.batch_size,
        eval_batch_size=settings.batch_size,
        num_batches=settings.batches_per_round,
        temperature=cfg.task.temperature,
        seed=settings.seed,
    )
    batches = list(datamodule.train_dataloader())
    shapes = sorted({tuple(batch["input_ids"].shape) for batch in batches})
    tokens = [int(batch["attention_mask"].sum()) for batch in batches]
    meta = {
        "tasks": [task.name for task in tasks],
        "text_to_text": backbone.family.formulation.name == "text-to-text",
        "heads": [str(task.head) for task in tasks],
        "num_labels": [int(task.num_labels) for task in tasks],
        "count": len(batches),
        "input_shapes": [list(shape) for shape in shapes],
        "real_tokens_per_batch": sum(tokens) / len(tokens),
    }
    return batches, meta


def save_batches(batches: list[Batch], meta: dict, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save({"batches": batches, "meta": meta}, tmp)
    tmp.replace(path)


def load_batches(path: Path, device: str = "cpu") -> tuple[list[Batch], dict]:
    saved = torch.load(path, weights_only=True)
    batches = [
        {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
        for batch in saved["batches"]
    ]
    return batches, saved["meta"]
