"""Our side of a peer cell: the task's data through hyperpeft's own data step, as a tensors file.

The peer's config is composed like our matching cell's run (same task, seed, budget, data
limits, with our matched method), and `prepare_data`, the run's own data step, loads the files,
applies the split protocol for that seed, tokenises (or takes the cache) and builds the data
module. Its training loader gives the run's batches (temperature sampler, collator, dynamic
padding), its evaluation loaders the validation and test halves, so the peer trains and is
scored on the very token ids our run sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from omegaconf import DictConfig

from benchmarks.quality.peer_data import save_task_tensors


def compose_run(overrides: Sequence[str]) -> DictConfig:
    """The run's composed config for these command-line overrides (Hydra's own keys left out)."""
    from hyperpeft.config import compose_config, validate_config

    cfg = compose_config([o for o in overrides if not o.startswith("hydra.")])
    validate_config(cfg)
    return cfg


def export_task_tensors(cfg: DictConfig, path: Path) -> dict:
    """Write the one task's batches of every split to `path`; the meta a peer needs."""
    import transformers

    from hyperpeft.backbones import load_backbone
    from hyperpeft.recipe.build import RunParts
    from hyperpeft.recipe.data import prepare_data
    from hyperpeft.tasks import get_task

    transformers.utils.logging.set_verbosity_error()
    tasks = [get_task(name, cfg.task.get("custom")) for name in cfg.task.tasks]
    if len(tasks) != 1:
        raise ValueError(f"task.tasks={list(cfg.task.tasks)}: a peer cell trains one task")
    backbone = load_backbone(cfg.model, device="meta")  # the tokenizer and the formulation
    if backbone.family.formulation.name != "encoder-heads":
        raise ValueError(f"model={cfg.model.name}: the peers run encoders with task heads")
    data = prepare_data(cfg, RunParts(tasks, backbone, method=None))
    module = data.datamodule
    splits = {
        "train": list(module.train_dataloader()),
        "validation": list(module.val_dataloader()[0]),
        "test": list(module.test_dataloader()[0]),
    }
    task = tasks[0]
    meta = {
        "task": task.name,
        "head": str(task.head),
        "num_labels": int(task.num_labels),
        "sizes": {split: data.task_data[0].size(split) for split in splits},
        "batches": {split: len(batches) for split, batches in splits.items()},
        "tokenizer": str(getattr(backbone.tokenizer, "name_or_path", "")),
        "max_length": int(cfg.model.max_length),
        "seed": int(cfg.seed),
    }
    save_task_tensors(path, splits, meta)
    return meta
