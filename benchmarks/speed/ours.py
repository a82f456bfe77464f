"""Our side: every method built by hyperpeft's own path and trained the way a run trains it.

`compose` is the run's config composition (Hydra, the same `conf/`), `build_module` the run's
build; the default loop is the run's Lightning Trainer (`build_trainer`, with the run's
callbacks), timed from one `on_train_batch_start` to the next, so a step includes everything
Lightning does per step (optimizer closure, gradient clipping, scheduler, logging, callbacks).
`--ours-loop plain` times `forward_loss`, backward, clipping, AdamW and the scheduler in a bare
loop instead, which excludes Lightning and the training step's finiteness check and logging.

The frozen backbone is the same module with its method's hooks removed and its parameters
frozen, gradients flowing from the loss back to the input embeddings: the forward and backward
every adapter method must pay at least.
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig, OmegaConf, open_dict
from torch.utils.data import DataLoader

from benchmarks.speed.cells import Cell
from benchmarks.speed.measure import Batch, Clock, time_each, to_device
from benchmarks.speed.settings import Settings
from hyperpeft.backbones.families import BACKBONE_TYPES
from hyperpeft.config import compose_config, validate_config
from hyperpeft.methods import method_config
from hyperpeft.recipe.build import build_module, build_parts, run_metadata
from hyperpeft.training.callbacks import BestWeights, StepTimer
from hyperpeft.training.frozen_weights import DTYPES, store_frozen_weights
from hyperpeft.training.trainer import build_trainer


def compose(
    settings: Settings, method: str, extra: tuple[str, ...] = (), method_overrides: bool = True
) -> DictConfig:
    """The run's config for `method` at the benchmark's settings. `method_overrides=False` drops
    the user's `method.*` overrides where the method is only a vehicle (batches, GEMM shapes, the
    frozen backbone), so an override meant for one method cannot break those; a `method.<key>`
    override the method has no key for (`method.reduction_factor` on full fine-tuning) is left
    out of that method's cells."""
    user = [
        o
        for o in settings.overrides
        if method_overrides or not o.lstrip("+~").startswith("method.")
    ]
    base = _base_overrides(settings, method, extra)
    if any(o.startswith("method.") for o in user):
        method_node = compose_config(base).method
        user = [o for o in user if not o.startswith("method.") or _has_key(method_node, o)]
    return compose_config([*base, *user])


_ABSENT = object()


def _has_key(method_node: DictConfig, override: str) -> bool:
    key = override.split("=", 1)[0].removeprefix("method.")
    return OmegaConf.select(method_node, key, default=_ABSENT) is not _ABSENT


def _base_overrides(settings: Settings, method: str, extra: tuple[str, ...]) -> list[str]:
    return [
        f"model={settings.model}",
        f"task={settings.task}",
        f"method={method}",
        "logger=none",
        f"seed={settings.seed}",
        f"trainer.batch_size={settings.batch_size}",
        f"trainer.max_steps={settings.batches_per_round}",
        f"model.max_length={settings.max_length}",
        *settings.hardware_overrides(),
        *extra,
    ]


def matched_settings(settings: Settings, cell: Cell) -> dict:
    """What a peer must match: our method's composed sizes and the run's trainer settings."""
    cfg = compose(settings, cell.method, cell.overrides, method_overrides=cell.kind != "frozen")
    name, config = method_config(cfg.method)
    model_type = cfg.model.get("config", {}).get("model_type")
    family = BACKBONE_TYPES[model_type].family.name if model_type in BACKBONE_TYPES else "*"
    trainer = cfg.trainer
    return {
        "method": name,
        **asdict(config),
        "learning_rate": float(trainer.learning_rate or config.resolved_learning_rate(family)),
        "weight_decay": float(trainer.weight_decay),
        "gradient_clip": float(trainer.gradient_clip or 0.0),
        "warmup_ratio": float(trainer.warmup_ratio),
        "head_dropout": float(trainer.head_dropout),
    }


def _inputs_need_gradients(module: torch.nn.Module) -> None:
    """Make the input embeddings a leaf that wants a gradient, so backward runs every layer.
    Every embedding module holding the input embedding's weight gets the hook: T5 in
    transformers 5 gives its encoder and decoder embedding modules of their own, tied to it."""

    def hook(_module: Any, _args: Any, output: torch.Tensor) -> torch.Tensor:
        return output.detach().requires_grad_(True)

    weight = module.backbone.get_input_embeddings().weight
    for embedding in module.backbone.modules():
        if isinstance(embedding, torch.nn.Embedding) and embedding.weight is weight:
            embedding.register_forward_hook(hook)


def build(settings: Settings, cell: Cell) -> tuple[DictConfig, Any]:
    frozen = cell.kind == "frozen"
    cfg = compose(settings, cell.method, cell.overrides, method_overrides=not frozen)
    validate_config(cfg)
    pl.seed_everything(settings.seed, workers=True, verbose=False)
    module = build_module(cfg, build_parts(cfg))
    if frozen:
        module.method.detach()
        for parameter in module.method.parameters():
            parameter.requires_grad_(False)
        _inputs_need_gradients(module)
        if not any(parameter.requires_grad for parameter in module.parameters()):
            # A text-to-text backbone has no head of ours: nothing is left to train, and the
            # run's optimizer refuses an empty list. One unused scalar keeps the loop the run's.
            module.register_parameter("frozen_placeholder", torch.nn.Parameter(torch.zeros(1)))
    return cfg, module


class _BatchStarts(pl.Callback):
    """Timestamps of every `on_train_batch_start` and of the last `on_train_batch_end`."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.starts: list[float] = []
        self.last_end = 0.0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.starts.append(self.clock.now())

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.last_end = self.clock.now()

    def step_times(self) -> list[float]:
        edges = [*self.starts, self.last_end]
        return [b - a for a, b in zip(edges, edges[1:], strict=False)]


class LightningRunner:
    """A fresh Trainer per call, from the run's `build_trainer`, with the run's callbacks."""

    def __init__(self, cfg: DictConfig, module: Any, settings: Settings) -> None:
        self.cfg = cfg
        self.module = module
        self.clock = Clock(settings.device)
        self.directory = Path(tempfile.mkdtemp(prefix="bench-speed-"))
        self.precision = _autocast(cfg, settings.device)
        self.info = _info(module, "lightning Trainer (hyperpeft build_trainer)")

    def train(self, batches: list[Batch]) -> list[float]:
        with open_dict(self.cfg):
            self.cfg.trainer.max_steps = len(batches)
        starts = _BatchStarts(self.clock)
        best = BestWeights(self.directory, run_metadata(self.cfg))  # as the run's
        callbacks = [best, StepTimer(), starts]
        trainer, _ = build_trainer(self.cfg, self.directory, callbacks)
        loader = DataLoader(batches, batch_size=None, shuffle=False)
        trainer.fit(self.module, train_dataloaders=loader)
        return starts.step_times()

    def forward_backward(self, batch: Batch) -> None:
        device = next(self.module.parameters()).device
        _forward_backward(self.module, batch, str(device), self.precision)
        self.module.zero_grad(set_to_none=True)


class PlainRunner:
    """`forward_loss`, backward, the run's clipping, AdamW and schedule; no Lightning."""

    def __init__(self, cfg: DictConfig, module: Any, settings: Settings) -> None:
        self.module = module.to(settings.device).train()
        self.device = settings.device
        self.clip = float(cfg.trainer.gradient_clip or 0.0)
        optimizers = module.configure_optimizers()
        self.optimizer = optimizers["optimizer"]
        self.schedule = optimizers["lr_scheduler"]["scheduler"]
        self.trained = [p for p in module.parameters() if p.requires_grad]
        self.clock = Clock(settings.device)
        self.precision = _autocast(cfg, settings.device)
        frozen_weights = cfg.hardware.get("frozen_weights", "float32")
        if frozen_weights != "float32":  # what the run's StoreFrozenWeights callback does
            store_frozen_weights(self.module.backbone, DTYPES[frozen_weights])
        self.info = _info(module, "plain loop over MultiTaskModule.forward_loss")

    def step(self, batch: Batch) -> None:
        _forward_backward(self.module, batch, self.device, self.precision)
        if self.clip:
            torch.nn.utils.clip_grad_norm_(self.trained, self.clip)
        self.optimizer.step()
        self.schedule.step()
        self.optimizer.zero_grad(set_to_none=True)

    def train(self, batches: list[Batch]) -> list[float]:
        return time_each(self.step, batches, self.clock)

    def forward_backward(self, batch: Batch) -> None:
        _forward_backward(self.module, batch, self.device, self.precision)
        self.module.zero_grad(set_to_none=True)


def _autocast(cfg: DictConfig, device: str) -> Any:
    """The autocast the run's Trainer trains under (`hardware.precision=bf16-mixed`), for steps
    taken outside it (the FLOP count's, the plain loop's): stored bf16 weights need bf16 inputs."""
    if str(cfg.hardware.precision).startswith("bf16"):
        return torch.autocast(device.split(":")[0], dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _forward_backward(module: Any, batch: Batch, device: str, autocast: Any) -> None:
    with autocast:
        loss = module.forward_loss(to_device(batch, device))
    loss.backward()


def _info(module: Any, loop: str) -> dict:
    import transformers

    return {
        "loop": loop,
        "trainable_parameters": sum(p.numel() for p in module.parameters() if p.requires_grad),
        "attention": getattr(module.backbone.config, "_attn_implementation", None),
        "transformers": transformers.__version__,
        "lightning": pl.__version__,
    }


def build_runner(settings: Settings, cell: Cell, matched: dict, meta: dict) -> Any:
    cfg, module = build(settings, cell)
    runner = LightningRunner if settings.ours_loop == "lightning" else PlainRunner
    return runner(cfg, module, settings)
