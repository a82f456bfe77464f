"""The LightningModule: one backbone, one method, the tasks' heads, one task per batch.

The module tells the method which task the batch holds (`method.set_task`) before every forward,
so the method's per-task state lives exactly one step. The backbone's formulation (task heads or
text-to-text) owns the heads, the loss and the predictions; evaluation hands the predictions to
each task's own metrics.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import pytorch_lightning as pl
import torch

from hyperpeft.backbones import Backbone
from hyperpeft.methods.architectures import is_layer_norm
from hyperpeft.training.optim import configure_adamw, decay_groups


class NonFiniteLoss(RuntimeError):
    """The training loss became NaN or infinite; the last good checkpoint is kept."""


class RunInterrupted(Exception):
    """Ctrl-C or SIGTERM during training: the resumable state was written first."""

    def __init__(self, run_dir: Any, step: int) -> None:
        self.run_dir = run_dir
        self.step = step
        super().__init__(
            f"interrupted at step {step}; the state is saved: continue with "
            f"hyperpeft trainer.resume={run_dir}"
        )

    def __reduce__(self) -> tuple:
        # a job on another process (a DDP rank, submitit, Ray) sends its exception back pickled
        return (type(self), (self.run_dir, self.step))


class MultiTaskModule(pl.LightningModule):
    def __init__(
        self,
        backbone: Backbone,
        method: torch.nn.Module,
        tasks: Sequence[Any],
        learning_rate: float,
        weight_decay: float = 0.0,
        warmup_steps: int = 0,
        total_steps: int = 1,
        head_dropout: float = 0.1,
        eval_examples: Mapping[str, Sequence[Sequence[Any]]] | None = None,
        label_smoothing: float = 0.0,
        label_means: Mapping[str, float] | None = None,
    ) -> None:
        """`eval_examples[split][task_index]`: what each task's metrics compare predictions
        with, for "validation" and "test"; none for a module that only predicts.
        `label_means`: each regression task's training label mean, its head's first bias."""
        super().__init__()
        self.backbone = backbone.model
        self.method = method
        self.tasks = list(tasks)
        self.tokenizer = backbone.tokenizer
        self.formulation = backbone.formulation
        self.heads = self.formulation.heads(
            backbone.hidden_size, self.tasks, head_dropout, label_means
        )
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.label_smoothing = label_smoothing
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.eval_examples = dict(eval_examples or {})
        self.last_metrics: dict[str, dict[str, Any]] = {}
        self.task_counts = [0] * len(self.tasks)
        self._predictions: dict[int, list[tuple[int, Any]]] = defaultdict(list)
        # frozen backbone weights are not part of our checkpoints; they come from the backbone
        self.strict_loading = False

    # -- what is trained and saved -------------------------------------------------------------
    def trainable_state_dict(self) -> dict[str, torch.Tensor]:
        """Every trained parameter, by its name in this module: what a checkpoint holds.

        Copies, never views: on the CPU `.cpu()` returns the live tensor itself.
        """
        return {
            name: param.detach() if param.is_meta else param.detach().to("cpu", copy=True)
            for name, param in self.named_parameters()
            if param.requires_grad
        }

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        trained = {name for name, param in self.named_parameters() if param.requires_grad}
        checkpoint["state_dict"] = {
            name: value for name, value in checkpoint["state_dict"].items() if name in trained
        }
        # the dropout stream too, so a resumed run continues exactly where it stopped
        checkpoint["hyperpeft"] = {
            "task_counts": list(self.task_counts),
            "torch_rng_state": torch.get_rng_state(),
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        saved = checkpoint.get("hyperpeft", {})
        self.task_counts = list(saved.get("task_counts", self.task_counts))
        if "torch_rng_state" in saved:
            torch.set_rng_state(saved["torch_rng_state"])

    # -- forward -------------------------------------------------------------------------------
    def forward_loss(self, batch: dict[str, Any]) -> torch.Tensor:
        self.method.set_task(batch["task_index"])
        return self.formulation.loss(self.backbone, self.heads, batch, self.label_smoothing)

    @torch.no_grad()
    def predict_batch(self, batch: dict[str, Any]) -> list[Any]:
        task_index = batch["task_index"]
        self.method.set_task(task_index)
        task = self.tasks[task_index]
        return self.formulation.predict(self.backbone, self.heads, batch, task, self.tokenizer)

    # -- training ------------------------------------------------------------------------------
    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        loss = self.forward_loss(batch)
        if not torch.isfinite(loss):
            task = self.tasks[batch["task_index"]].name
            raise NonFiniteLoss(
                f"the training loss became {loss.item()} at step {self.global_step} (task {task})"
            )
        self.task_counts[batch["task_index"]] += 1
        self.log("train/loss", loss, prog_bar=True, batch_size=batch["input_ids"].shape[0])
        return loss

    def optimizer_step(
        self, epoch: int, batch_idx: int, optimizer: Any, optimizer_closure: Any = None
    ) -> None:
        """Lightning's step, then the gradients dropped at once. Lightning clears them only in
        the next step's closure, after that step's forward pass, which would then run with the
        last step's gradients alive: for full fine-tuning a second copy of the model's size at
        the step's peak. (Hooks that read gradients belong in `on_before_optimizer_step`.)"""
        super().optimizer_step(epoch, batch_idx, optimizer, optimizer_closure)
        optimizer.zero_grad(set_to_none=True)

    def configure_optimizers(self) -> dict:
        # Lightning's mixed precision refuses to clip a fused optimizer's gradients (it assumes
        # a gradient scaler unscales them inside the step), so mixed runs keep torch's default kernel
        trainer = self._trainer
        mixed = trainer is not None and str(trainer.precision).endswith("-mixed")
        architecture = self.method.architecture
        groups = decay_groups(self, self.weight_decay, lambda m: is_layer_norm(m, architecture))
        return configure_adamw(
            groups, self.learning_rate, self.warmup_steps, self.total_steps, fused_allowed=not mixed
        )

    # -- evaluation ----------------------------------------------------------------------------
    def _collect(self, batch: dict[str, Any]) -> None:
        predictions = self.predict_batch(batch)
        indices = batch["example_index"].tolist()
        self._predictions[batch["task_index"]].extend(zip(indices, predictions, strict=True))

    def validation_step(self, batch: dict[str, Any], batch_idx: int, dataloader_idx: int = 0):
        self._collect(batch)

    def test_step(self, batch: dict[str, Any], batch_idx: int, dataloader_idx: int = 0):
        self._collect(batch)

    def evaluate_collected(self, split: str) -> dict[str, Any]:
        """Metrics of every task on what was collected, and their mean: the mixture's score."""
        per_task: dict[str, dict[str, float]] = {}
        for task_index, task in enumerate(self.tasks):
            pairs = sorted(self._predictions.get(task_index, []))
            if not pairs:
                continue
            examples = self.eval_examples[split][task_index]
            predictions = [prediction for _, prediction in pairs]
            metrics = task.compute_metrics(predictions, [examples[i] for i, _ in pairs])
            metrics = {name: float(value) for name, value in metrics.items()}
            metrics["score"] = float(task.score(metrics))
            per_task[task.name] = metrics
        self._predictions.clear()
        scores = [metrics["score"] for metrics in per_task.values()]
        return {"tasks": per_task, "score": float(sum(scores) / len(scores)) if scores else 0.0}

    def _log_evaluation(self, split: str) -> None:
        result = self.evaluate_collected(split)
        self.last_metrics[split] = result
        prefix = "val" if split == "validation" else "test"
        logged = {}
        for task, metrics in result["tasks"].items():
            logged.update({f"{prefix}/{task}/{name}": value for name, value in metrics.items()})
        self.log_dict(logged, prog_bar=False, sync_dist=False, add_dataloader_idx=False)
        self.log(f"{prefix}/score", result["score"], prog_bar=True, add_dataloader_idx=False)

    def on_validation_epoch_end(self) -> None:
        self._log_evaluation("validation")

    def on_test_epoch_end(self) -> None:
        self._log_evaluation("test")
