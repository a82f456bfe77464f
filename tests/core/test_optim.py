"""AdamW's kernel: fused where Lightning allows it, the same arithmetic in fewer calls elsewhere."""

from __future__ import annotations

import pytest
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader

from hyperpeft.tasks import get_task
from hyperpeft.training.module import MultiTaskModule
from hyperpeft.training.optim import configure_adamw
from tests.helpers.tiny_models import attach, tiny_bert


def test_fused_kernel_updates_as_the_reference_loop():
    torch.manual_seed(0)
    weights = [torch.nn.Parameter(torch.randn(64, 32)), torch.nn.Parameter(torch.randn(32))]
    reference = [torch.nn.Parameter(w.detach().clone()) for w in weights]
    groups = [{"params": weights, "weight_decay": 0.01}]
    fused = configure_adamw(groups, 1e-2, 0, 10)["optimizer"]
    loop = torch.optim.AdamW(reference, lr=1e-2, weight_decay=0.01, foreach=False)
    assert fused.defaults["fused"]
    for _ in range(3):
        for a, b in zip(weights, reference, strict=True):
            a.grad = torch.randn_like(a)
            b.grad = a.grad.clone()
        fused.step()
        loop.step()
    for a, b in zip(weights, reference, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("precision", ["32-true", "bf16-mixed"])
def test_training_with_gradient_clipping_runs_in_every_precision(precision, tmp_path):
    backbone = tiny_bert()
    method = attach("compacter", backbone, tasks=["rte"])
    module = MultiTaskModule(backbone, method, [get_task("rte")], learning_rate=1e-3)
    ids = torch.randint(1, 101, (4, 6))
    batch = {"task_index": 0, "input_ids": ids, "attention_mask": torch.ones_like(ids)}
    batch["labels"] = torch.tensor([0, 1, 0, 1])
    trainer = pl.Trainer(
        accelerator="cpu",
        precision=precision,
        gradient_clip_val=1.0,
        max_steps=2,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
    )
    trainer.fit(module, DataLoader([batch, batch], batch_size=None))
    optimizer = trainer.optimizers[0]
    # Lightning's mixed precision refuses to clip a fused optimizer's gradients
    assert bool(optimizer.defaults.get("fused")) == (precision == "32-true")
    assert trainer.global_step == 2
