"""Training touches only what the method trains; the frozen backbone stays bit-identical."""

from __future__ import annotations

import torch

from hyperpeft.methods.architectures import is_layer_norm
from tests.helpers.tiny_models import ADAPTER_FAMILY, BACKBONES, attach, train_steps


def expected_trainable(backbone, method_name: str) -> set[str]:
    """Backbone parameter names each method must train (the papers' conventions)."""
    model = backbone.model
    names = {n for n, _ in model.named_parameters()}
    if method_name == "full":
        return names
    if method_name in ADAPTER_FAMILY:  # train_layer_norms: true, final layer norms included
        return {
            f"{m}.{p}" if m else p
            for m, module in model.named_modules()
            if is_layer_norm(module, backbone.architecture)
            for p, _ in module.named_parameters(recurse=False)
        }
    if method_name == "bitfit":
        return {n for n in names if n.endswith(".bias")}  # none in T5: the method adds them
    return set()  # lora


def test_training_changes_only_the_method_and_what_it_unfreezes(architecture, method_name):
    backbone = BACKBONES[architecture]()
    before = {n: p.detach().clone() for n, p in backbone.model.named_parameters()}
    method = attach(method_name, backbone)
    method_before = {n: p.detach().clone() for n, p in method.named_parameters()}

    train_steps(backbone, method, task_indices=[0, 1, 0, 1])

    trainable = {n for n, p in backbone.model.named_parameters() if p.requires_grad}
    assert trainable == expected_trainable(backbone, method_name)
    if method_name in ADAPTER_FAMILY:
        layer_norms = {n for n in trainable if "norm" in n.lower()}
        assert layer_norms == trainable and any("final_layer_norm" in n for n in trainable) == (
            architecture == "t5"
        )
    for name, parameter in backbone.model.named_parameters():
        if name in trainable:
            if parameter.grad is not None:
                assert not torch.equal(parameter, before[name]), name
        else:
            assert torch.equal(parameter, before[name]), f"frozen {name} changed"

    # Every method weight of the trained tasks moved; the third task's weights did not.
    for name, parameter in method.named_parameters():
        untouched = ".copa." in name or name.endswith(".copa")
        assert torch.equal(parameter, method_before[name]) == untouched, name


def test_t5_lm_head_and_embeddings_stay_frozen():
    backbone = BACKBONES["t5"]()
    for name in ("adapter", "hyperformer++", "lora", "bitfit"):
        attach(name, backbone).detach()
        assert not backbone.model.lm_head.weight.requires_grad
        assert not backbone.model.shared.weight.requires_grad
        assert not any(
            p.requires_grad for n, p in backbone.model.named_parameters() if "embed" in n
        )


def test_bitfit_adds_zero_biases_to_t5_linear_layers_only():
    backbone = BACKBONES["t5"]()
    method = attach("bitfit", backbone)
    linears = [
        n
        for n, m in backbone.model.named_modules()
        if isinstance(m, torch.nn.Linear) and n != "lm_head"
    ]
    assert sorted(method.biases.keys()) == sorted(n.replace(".", "-") for n in linears)
    assert all(torch.count_nonzero(b) == 0 for b in method.biases.values())
    assert not any("lm_head" in k for k in method.biases)
