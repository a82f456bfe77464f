"""`init_from` with every method: shared weights load, per-task weights follow their task's
name (heads their task's index), a new task keeps its fresh weights, the others are left out."""

from __future__ import annotations

import pytest
import pytorch_lightning as pl
import torch

from hyperpeft.config import compose_config, register_configs
from hyperpeft.methods import METHOD_NAMES
from hyperpeft.recipe.build import build_module, build_parts, run_metadata
from hyperpeft.recipe.transfer import transfer
from hyperpeft.training.checkpoints import atomic_save_weights

register_configs()

# tiny-bert is 64 wide: a bottleneck of 16, which phm_dim 4 divides
SIZES = {"reduction_factor": 4, "phm_dim": 4}


def _module(name: str, tasks: str, *extra: str):
    sizes = [f"method.{key}={value}" for key, value in SIZES.items() if key in _fields(name)]
    overrides = ["model=tiny-bert", f"method={name}", "task=glue", f"task.tasks=[{tasks}]"]
    cfg = compose_config([*overrides, *sizes, "seed=1", *extra])
    pl.seed_everything(cfg.seed, verbose=False)
    return cfg, build_module(cfg, build_parts(cfg))


def _fields(name: str) -> set[str]:
    cfg = compose_config([f"method={name}"])
    return set(cfg.method)


def _trained(module) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in module.named_parameters() if p.requires_grad}


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_every_method_transfers_its_shared_and_same_task_weights(name, tmp_path):
    source_cfg, source = _module(name, "rte,mrpc")
    with torch.no_grad():  # "training": every trained weight moves away from its fresh value
        for param in source.parameters():
            if param.requires_grad:
                param.add_(torch.randn_like(param))
    path = tmp_path / "model.safetensors"
    atomic_save_weights(source.trainable_state_dict(), path, run_metadata(source_cfg))
    trained = _trained(source)

    cfg, module = _module(name, "mrpc,cb", f"init_from={path}")
    fresh = _trained(module)
    done = transfer(module, cfg)
    after = _trained(module)

    assert done.tasks == ["mrpc"] and done.fresh == ["cb"] and done.left_out == ["rte"]
    for n, value in after.items():
        parts = n.split(".")
        if n.startswith("heads."):  # mrpc is head 1 there, head 0 here
            expected = trained[f"heads.1.{n[len('heads.0.') :]}"] if parts[1] == "0" else fresh[n]
        elif "cb" in parts:
            expected = fresh[n]
        else:  # shared, or mrpc's under the same name
            expected = trained[n]
        assert torch.equal(value, expected), n
    assert not any("rte" in n.split(".") for n in after)


def test_a_transfer_into_a_hypernetwork_regenerates_its_adapters(tmp_path):
    source_cfg, source = _module("hyperformer++", "rte")
    with torch.no_grad():
        for param in source.method.parameters():
            param.add_(torch.randn_like(param))
    path = tmp_path / "model.safetensors"
    atomic_save_weights(source.trainable_state_dict(), path, run_metadata(source_cfg))
    cfg, module = _module("hyperformer++", "rte", f"init_from={path}")
    module.method.set_task(0)  # weights generated from the fresh parameters
    transfer(module, cfg)
    assert module.method.generated is None  # forgotten: the next set_task uses the loaded ones
