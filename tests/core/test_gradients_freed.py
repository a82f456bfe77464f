"""A training step's gradients are dropped right after its optimizer step, so the next step's
forward pass does not run with them alive (Lightning alone clears them only after that forward:
for full fine-tuning a model's worth of memory at the step's peak). Callbacks still see them
before the optimizer step; training is unchanged."""

from __future__ import annotations

from typing import ClassVar

import pytest
import pytorch_lightning as pl

from tests.helpers.commands import FAST
from tests.helpers.inprocess import run_inprocess

pytestmark = pytest.mark.e2e

TARGET = f"{__name__}.GradientWatch"


class GradientWatch(pl.Callback):
    """Records, per step, whether any trained parameter holds a gradient at two moments."""

    seen: ClassVar[list[tuple[str, bool]]] = []

    @staticmethod
    def _any_gradient(module) -> bool:
        return any(p.grad is not None for p in module.parameters() if p.requires_grad)

    def on_before_optimizer_step(self, trainer, pl_module, optimizer) -> None:
        self.seen.append(("before step", self._any_gradient(pl_module)))

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.seen.append(("next forward", self._any_gradient(pl_module)))


@pytest.mark.parametrize("accumulate", [1, 2])
def test_no_gradient_outlives_its_optimizer_step(tmp_path, accumulate):
    GradientWatch.seen.clear()
    run_inprocess(
        tmp_path / "run",
        "model=tiny-bert",
        "method=full",
        *FAST,
        f"trainer.accumulate_grad_batches={accumulate}",
        f"+callbacks.watch._target_={TARGET}",
    )
    seen = GradientWatch.seen
    steps = [had for moment, had in seen if moment == "before step"]
    assert len(steps) == 6 and all(steps)
    starts = [had for moment, had in seen if moment == "next forward"]
    assert len(starts) == 6 * accumulate
    # a batch that opens an accumulation window starts with no gradient; the others carry the
    # window's gradients, as accumulation needs
    assert starts[::accumulate] == [False] * 6
    assert all(starts[i] for i in range(len(starts)) if i % accumulate)
