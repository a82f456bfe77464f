"""A checkpoint of the trainable parameters rebuilds the same model; LoRA merges exactly."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file, save_file

from tests.helpers.tiny_models import BACKBONES, attach, batch, outputs, train_steps


def trainable_state(backbone, method) -> dict[str, torch.Tensor]:
    """What a run saves: requires_grad backbone parameters and every method parameter."""
    state = {
        f"backbone.{n}": p.detach() for n, p in backbone.model.named_parameters() if p.requires_grad
    }
    state |= {f"method.{n}": p.detach() for n, p in method.named_parameters()}
    return state


def load_trainable_state(backbone, method, state: dict[str, torch.Tensor]) -> None:
    backbone_part = {
        k[len("backbone.") :]: v for k, v in state.items() if k.startswith("backbone.")
    }
    method_part = {k[len("method.") :]: v for k, v in state.items() if k.startswith("method.")}
    missing = set(backbone_part) - {n for n, _ in backbone.model.named_parameters()}
    assert not missing
    backbone.model.load_state_dict(backbone_part, strict=False)
    method.load_state_dict(method_part, strict=True)


def test_save_and_reload_into_a_fresh_backbone_gives_identical_outputs(
    architecture, method_name, tmp_path
):
    backbone = BACKBONES[architecture](seed=0)
    method = attach(method_name, backbone, seed=1)
    train_steps(backbone, method, task_indices=[0, 1, 2])
    with torch.no_grad():
        method.set_task(2)
        expected = outputs(backbone, batch())
    save_file(trainable_state(backbone, method), tmp_path / "method.safetensors")

    fresh_backbone = BACKBONES[architecture](seed=0)  # the "pretrained" weights again
    fresh = attach(method_name, fresh_backbone, seed=123)  # different random method init
    load_trainable_state(fresh_backbone, fresh, load_file(tmp_path / "method.safetensors"))
    with torch.no_grad():
        fresh.set_task(2)
        got = outputs(fresh_backbone, batch())
    assert torch.equal(got, expected)


def test_hypernetwork_weights_must_be_regenerated_after_an_update():
    backbone = BACKBONES["bert"]()
    method = attach("hyperformer++", backbone)
    method.set_task(0)
    outputs(backbone, batch()).sum().backward()
    with torch.no_grad():
        for p in method.parameters():
            p.add_(0.01)
    with pytest.raises(RuntimeError, match="set_task"):
        outputs(backbone, batch())


def test_lora_merged_equals_unmerged(architecture):
    backbone = BACKBONES[architecture]()
    method = attach("lora", backbone)
    train_steps(backbone, method, task_indices=[0, 0, 0])
    assert all(torch.count_nonzero(u.lora_B) for u in method.lora.values())
    with torch.no_grad():
        unmerged = outputs(backbone, batch())
        method.merge()
        merged = outputs(backbone, batch())
    assert not method.attached
    torch.testing.assert_close(merged, unmerged, rtol=1e-5, atol=1e-5)
    with pytest.raises(RuntimeError, match="merged"):
        method.merge()
