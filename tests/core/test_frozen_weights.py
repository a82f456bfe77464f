"""`hardware=cpu-bf16`: the frozen backbone's matrices stored in bf16 once, the rest fp32."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from hyperpeft.config.hardware import check_frozen_weights
from hyperpeft.errors import ConfigError
from hyperpeft.training.frozen_weights import store_frozen_weights
from tests.helpers.commands import FAST
from tests.helpers.inprocess import compose_config
from tests.helpers.tiny_models import BACKBONES, attach, batch, outputs, trainable_parameters


@pytest.mark.parametrize("layout", sorted(BACKBONES))
def test_only_frozen_matrices_change_dtype(layout):
    backbone = BACKBONES[layout]()
    method = attach("compacter", backbone)
    trainable = {id(p) for p in trainable_parameters(backbone, method)}
    cast = store_frozen_weights(backbone.model, torch.bfloat16)
    assert cast > 0
    for module in backbone.model.modules():
        for parameter in module.parameters(recurse=False):
            frozen_matrix = isinstance(module, (nn.Linear, nn.Embedding)) and (
                id(parameter) not in trainable
            )
            expected = torch.bfloat16 if frozen_matrix else torch.float32
            assert parameter.dtype == expected, (type(module).__name__, parameter.shape)
    # every layer norm trains in the adapter family and stays fp32; so does the method
    assert trainable and all(
        p.dtype == torch.float32 for p in trainable_parameters(backbone, method)
    )
    assert store_frozen_weights(backbone.model, torch.bfloat16) == 0  # once only


@pytest.mark.parametrize("layout", sorted(BACKBONES))
def test_bf16_storage_trains_under_autocast_close_to_fp32(layout):
    """The same forward under bf16 autocast, weights stored bf16 or fp32: outputs agree to bf16
    precision, and gradients reach the (fp32) trainable parameters in fp32."""
    reference = BACKBONES[layout]()
    attach("adapter", reference).set_task(0)
    stored = BACKBONES[layout]()
    method = attach("adapter", stored)
    method.set_task(0)
    store_frozen_weights(stored.model, torch.bfloat16)
    inputs = batch()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        expected = outputs(reference, inputs).float()
        got = outputs(stored, inputs).float()
    torch.testing.assert_close(got, expected, rtol=0, atol=2e-2 * expected.abs().max().item())
    got.pow(2).mean().backward()
    grads = [p.grad for p in trainable_parameters(stored, method) if p.grad is not None]
    assert grads and all(g.dtype == torch.float32 for g in grads)  # task 0's and the norms


def test_bf16_storage_needs_bf16_mixed_precision():
    check_frozen_weights("bfloat16", "bf16-mixed")
    check_frozen_weights("float32", "32-true")
    with pytest.raises(ConfigError, match=r"hardware.frozen_weights='bfloat16'.*bf16-mixed"):
        check_frozen_weights("bfloat16", "32-true")
    with pytest.raises(ConfigError, match=r"hardware.frozen_weights='float16'.*one of"):
        check_frozen_weights("float16", "16-mixed")


def test_cpu_bf16_option_composes():
    cfg = compose_config("hardware=cpu-bf16")
    assert (cfg.hardware.precision, cfg.hardware.frozen_weights) == ("bf16-mixed", "bfloat16")


@pytest.mark.e2e
def test_a_bf16_run_trains_tests_and_keeps_fp32_checkpoint(inprocess):
    from safetensors.torch import load_file

    finished = inprocess(
        "model=tiny-bert",
        "method=compacter",
        "method.reduction_factor=8",
        "task=glue",
        "task.tasks=[rte]",
        "hardware=cpu-bf16",
        *FAST,
    )
    assert finished.result.score is not None
    weights = load_file(finished.run_dir / "checkpoint" / "model.safetensors")
    assert weights and all(t.dtype == torch.float32 for t in weights.values())
