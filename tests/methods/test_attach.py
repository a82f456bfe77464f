"""Attaching a method: fresh outputs, placement of hooks, detach, task selection."""

from __future__ import annotations

import pytest
import torch

from hyperpeft.methods import METHOD_NAMES
from tests.helpers.tiny_models import (
    ADAPTER_FAMILY,
    BACKBONES,
    FRESH_BOUND,
    TASKS,
    attach,
    batch,
    outputs,
)

# Exact at the start: LoRA's zero B, BitFit's zero biases, and the zero-initialised output norms
# of the adapter (its reference layer norm after the adapter) and of the hypernetworks.
EXACT = ("full", "lora", "bitfit", "adapter", "hyperformer", "hyperformer++")


def test_fresh_method_barely_changes_outputs(architecture, method_name):
    backbone = BACKBONES[architecture]()
    inputs = batch()
    with torch.no_grad():
        before = outputs(backbone, inputs)
        method = attach(method_name, backbone)
        method.set_task(1)
        after = outputs(backbone, inputs)
    if method_name in EXACT:
        assert torch.equal(after, before)
    else:
        change = ((after - before).norm() / before.norm()).item()
        assert 0 < change < FRESH_BOUND


def test_an_adapter_without_its_output_norm_is_near_identity_not_exact(architecture):
    backbone = BACKBONES[architecture]()
    inputs = batch()
    with torch.no_grad():
        before = outputs(backbone, inputs)
        attach("adapter", backbone, layer_norm_after=False).set_task(1)
        after = outputs(backbone, inputs)
    assert 0 < ((after - before).norm() / before.norm()).item() < FRESH_BOUND


def test_the_adapters_output_norm_is_shared_by_the_tasks_and_learns_from_the_first_step():
    backbone = BACKBONES["bert"]()
    method = attach("adapter", backbone)
    norms = [name for name, _ in method.named_parameters() if name.startswith("norms.")]
    # one norm (weight, bias) per attach point, none per task
    assert len(norms) == 2 * 2 * 2 and not any(task in n for n in norms for task in TASKS)
    method.set_task(0)
    outputs(backbone, batch()).pow(2).mean().backward()
    gamma = method.norms["encoder"]["0"]["attention"].weight
    assert gamma.grad is not None and gamma.grad.abs().sum() > 0


@pytest.mark.parametrize("name", [name for name in METHOD_NAMES if name != "full"])
def test_detach_restores_the_backbone_exactly(architecture, name):
    backbone = BACKBONES[architecture]()
    inputs = batch()
    with torch.no_grad():
        before = outputs(backbone, inputs)
        method = attach(name, backbone)
        for parameter in method.parameters():  # make the method matter
            parameter.add_(0.05 * torch.randn_like(parameter))
        method.set_task(0)
        changed = outputs(backbone, inputs)
        method.detach()
        after = outputs(backbone, inputs)
    if list(method.parameters()):  # BERT bitfit adds nothing: it trains existing biases
        assert not torch.allclose(changed, before, atol=1e-4)
    assert torch.equal(after, before)
    assert not method.attached


def hooked(backbone) -> set[str]:
    return {name for name, m in backbone.model.named_modules() if m._forward_hooks}


def test_adapters_sit_after_self_attention_and_feed_forward_never_cross_attention():
    t5 = BACKBONES["t5"]()
    attach("adapter", t5)
    names = hooked(t5)
    assert len(names) == 2 * 2 + 3 * 2  # 2 encoder + 3 decoder layers, two positions each
    assert all(n.endswith(("layer.0.SelfAttention.o", "DenseReluDense")) for n in names)
    assert not any("EncDecAttention" in n for n in names)
    assert "decoder.block.0.layer.2.DenseReluDense" in names

    bert = BACKBONES["bert"]()
    attach("adapter", bert)
    assert hooked(bert) == {
        f"encoder.layer.{i}.{p}"
        for i in range(2)
        for p in ("attention.output.dense", "output.dense")
    }


def test_compacter_plus_plus_attaches_nothing_to_attention(architecture):
    backbone = BACKBONES[architecture]()
    method = attach("compacter++", backbone)
    names = hooked(backbone)
    assert names and all(n.endswith(("DenseReluDense", ".output.dense")) for n in names)
    assert not any("attention" in n.lower() for n in names)
    assert not any("attention" in n for n, _ in method.named_parameters())


def test_lora_targets_query_and_value():
    t5 = BACKBONES["t5"]()
    attach("lora", t5)
    names = hooked(t5)
    # peft's default for T5: every q and v, cross-attention included (2*1 + 3*2 attentions).
    assert len(names) == 2 * (2 + 3 * 2)
    assert {n.rsplit(".", 1)[1] for n in names} == {"q", "v"}
    bert = BACKBONES["bert"]()
    attach("lora", bert)
    assert {n.rsplit(".", 1)[1] for n in hooked(bert)} == {"query", "value"}


@pytest.mark.parametrize("name", ADAPTER_FAMILY)
def test_multi_task_forward_without_set_task_is_a_clear_error(name):
    backbone = BACKBONES["t5"]()
    attach(name, backbone)
    with pytest.raises(RuntimeError, match="set_task"):
        outputs(backbone, batch())


def test_single_task_adapter_needs_no_set_task_but_hypernetworks_do():
    backbone = BACKBONES["bert"]()
    attach("adapter", backbone, tasks=["rte"])
    outputs(backbone, batch())  # no error
    backbone = BACKBONES["bert"]()
    attach("hyperformer++", backbone, tasks=["rte"])
    with pytest.raises(RuntimeError, match="set_task"):
        outputs(backbone, batch())


def test_tasks_select_their_own_adapter():
    backbone = BACKBONES["bert"]()
    method = attach("adapter", backbone)
    with torch.no_grad():
        for parameter in method.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
        per_task = []
        for i in range(len(TASKS)):
            method.set_task(i)
            per_task.append(outputs(backbone, batch()))
    assert not torch.allclose(per_task[0], per_task[1])
    with pytest.raises(IndexError):
        method.set_task(len(TASKS))


def test_merge_is_lora_only():
    backbone = BACKBONES["bert"]()
    with pytest.raises(NotImplementedError):
        attach("adapter", backbone).merge()


def test_learning_rates_come_from_the_method_config():
    assert attach("compacter", BACKBONES["t5"]()).learning_rate == 3e-3
    assert attach("full", BACKBONES["t5"]()).learning_rate == 3e-4
    assert attach("full", BACKBONES["bert"]()).learning_rate == 2e-5
    assert attach("adapter", BACKBONES["bert"](), learning_rate=1e-3).learning_rate == 1e-3
