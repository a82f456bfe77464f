"""A checkpoint of the trainable parameters rebuilds the same model; LoRA merges exactly."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file, save_file

from tests.helpers.tiny_models import BACKBONES, TASKS, attach, batch, outputs, train_steps


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


@pytest.mark.parametrize("name", ["hyperformer", "hyperformer++"])
def test_generated_weights_are_refreshed_after_an_optimizer_step(name):
    backbone = BACKBONES["t5"]()
    method = attach(name, backbone)
    optimizer = torch.optim.AdamW(method.parameters(), lr=1e-2)
    method.set_task(0)
    before = method.generated["encoder"]["up_weight"].detach().clone()
    outputs(backbone, batch())  # several forward passes may share one generation (decoding)
    outputs(backbone, batch()).pow(2).mean().backward()
    optimizer.step()
    with pytest.raises(RuntimeError, match="set_task"):  # never the stale weights
        outputs(backbone, batch())
    method.set_task(0)
    refreshed = method.generated["encoder"]["up_weight"].detach()
    assert not torch.equal(refreshed, before)
    with torch.no_grad():  # what the current parameters generate
        rows = method.generate(method.task_embeddings[TASKS[0]])["encoder"]
        expected = method.layout.split(rows)["up_weight"]
    assert torch.equal(refreshed, expected)
    outputs(backbone, batch())  # and the next step runs


def test_loading_a_state_dict_discards_the_generated_weights():
    backbone = BACKBONES["bert"]()
    method = attach("hyperformer", backbone)
    with torch.no_grad():
        method.set_task(0)
        outputs(backbone, batch())
        method.load_state_dict({k: v + 0.01 for k, v in method.state_dict().items()})
        with pytest.raises(RuntimeError, match="set_task"):
            outputs(backbone, batch())
        method.set_task(0)
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
