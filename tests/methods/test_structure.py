"""How the papers' methods are wired: shared PHM rule, generation once per task switch."""

from __future__ import annotations

import pytest
import torch

from hyperpeft.methods.layers.phm import PHMLinear, kronecker_sum
from tests.helpers.tiny_models import BACKBONES, TASKS, attach, batch, outputs


def phm_layers(method) -> list[PHMLinear]:
    return [m for m in method.modules() if isinstance(m, PHMLinear)]


def test_compacter_rule_is_one_parameter_shared_by_every_phm_layer(architecture):
    method = attach("compacter", BACKBONES[architecture]())
    rules = [(n, p) for n, p in method.named_parameters() if "rule" in n]
    assert [n for n, _ in rules] == ["phm_rule"]
    assert rules[0][1].shape == (4, 4, 4)
    layers = phm_layers(method)
    n_layers = {"bert": 2, "t5": 2 + 3}[architecture]
    assert len(layers) == 2 * len(TASKS) * n_layers * 2  # down/up, tasks, layers, positions
    assert all(layer.rule is None for layer in layers)
    # Every layer's effective weight uses that very tensor: its gradient collects from all.
    outputs_sum = sum(layer.weight(method.phm_rule).sum() for layer in layers)
    outputs_sum.backward()
    assert method.phm_rule.grad is not None and method.phm_rule.grad.abs().sum() > 0


def test_phm_adapter_has_a_rule_per_phm_layer():
    method = attach("phm-adapter", BACKBONES["t5"]())
    layers = phm_layers(method)
    assert method.phm_rule is None
    assert len({id(layer.rule) for layer in layers}) == len(layers)
    assert all(layer.rule.shape == (12, 12, 12) and layer.fast is not None for layer in layers)


def test_phm_weight_is_the_sum_of_kronecker_products():
    layer = PHMLinear(12, 8, phm_dim=4, rank=2, own_rule=True, rule_init_std=1.0)
    fast = torch.einsum("ipr,iqr->ipq", layer.fast_left, layer.fast_right)
    expected = sum(torch.kron(layer.rule[i], fast[i]) for i in range(4))
    torch.testing.assert_close(layer.weight(), expected)
    torch.testing.assert_close(kronecker_sum(layer.rule, fast), expected)
    assert layer.weight().shape == (8, 12)


def count_calls(modules) -> list[int]:
    calls = [0]
    for module in modules:
        module.register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    return calls


@pytest.mark.parametrize("name", ["hyperformer++", "hyperformer"])
def test_generators_run_once_per_set_task_not_once_per_layer(architecture, name):
    backbone = BACKBONES[architecture]()
    method = attach(name, backbone)
    generators = method.generator_modules()
    assert len(generators) == (2 if architecture == "t5" else 1)  # one hypernetwork per stack
    calls = count_calls(generators)
    method.set_task(0)
    assert calls[0] == len(generators)  # one batched call per stack for all layers and positions
    outputs(backbone, batch())
    outputs(backbone, batch())
    assert calls[0] == len(generators)  # forward passes only index the generated weights
    method.set_task(1)
    assert calls[0] == 2 * len(generators)


@pytest.mark.parametrize("name", ["hyperformer++", "hyperformer"])
def test_generated_weights_differ_by_task_layer_and_position(name):
    method = attach(name, BACKBONES["t5"]())
    method.set_task(0)
    task0 = method.generated["decoder"]["down_weight"]
    method.set_task(1)
    task1 = method.generated["decoder"]["down_weight"]
    assert task0.shape == (3, 2, 12, 48)  # layers, positions, bottleneck, hidden
    assert not torch.allclose(task0, task1)
    assert not torch.allclose(task1[0], task1[1])  # layers
    assert not torch.allclose(task1[:, 0], task1[:, 1])  # attention vs feed-forward
    assert not torch.allclose(method.generated["encoder"]["down_weight"][0], task1[0])  # stacks


def test_generation_runs_inside_autograd():
    method = attach("hyperformer++", BACKBONES["bert"]())
    method.set_task(0)
    assert method.generated["encoder"]["up_weight"].requires_grad
    with torch.no_grad():  # evaluation: no graph kept
        method.set_task(0)
    assert not method.generated["encoder"]["up_weight"].requires_grad


def test_hyperformer_plus_plus_shares_one_hypernetwork_per_stack():
    method = attach("hyperformer++", BACKBONES["t5"]())
    assert set(method.hypernetworks.keys()) == {"encoder", "decoder"}
    assert method.layer_embeddings["decoder"].shape == (3, 64)
    assert method.position_embeddings["encoder"].shape == (2, 64)
    assert set(method.task_embeddings.keys()) == set(TASKS)
    projector = method.hypernetworks["encoder"].projector
    assert projector[0].weight.shape == (128, 3 * 64)  # 192 -> 128 -> 64
    assert projector[2].weight.shape == (64, 128)
    assert method.hypernetworks["encoder"].generator.out_features == method.layout.size


def test_hyperformer_is_the_reference_unique_hyper_net():
    """hyperformer.json: per stack [task; layer id] (no position embedding), one task projector
    with its LayerNorm, and a generator per adapter position."""
    method = attach("hyperformer", BACKBONES["t5"]())
    assert set(method.hypernetworks.keys()) == {"encoder", "decoder"}
    assert method.layer_embeddings["encoder"].shape == (2, 64)
    assert method.layer_embeddings["decoder"].shape == (3, 64)
    assert not hasattr(method, "position_embeddings")
    assert not any("position" in name for name, _ in method.named_parameters())
    net = method.hypernetworks["decoder"]
    assert net.projector[0].weight.shape == (128, 2 * 64)
    assert net.source_norm.normalized_shape == (64,)
    assert net.generator.out_features == 2 * method.layout.size  # attention, feed-forward
    # Every layer of a stack reads the same hypernetwork: its gradient collects from all layers.
    method.set_task(0)
    method.generated["decoder"]["down_weight"][:, 0].sum().backward()
    rows_per_position = net.generator.weight.grad.split(method.layout.size)
    assert rows_per_position[0].abs().sum() > 0 and rows_per_position[1].abs().sum() == 0
    assert torch.count_nonzero(method.layer_embeddings["decoder"].grad.abs().sum(1)) == 3


def count_phm_builds(monkeypatch) -> list[int]:
    import hyperpeft.methods.compacter as compacter

    builds = [0]
    build = compacter.phm_weights

    def counted(*args, **kwargs):
        builds[0] += 1
        return build(*args, **kwargs)

    monkeypatch.setattr(compacter, "phm_weights", counted)
    return builds


@pytest.mark.parametrize("name", ["compacter", "phm-adapter"])
def test_a_batchs_phm_weights_are_built_once_and_still_train(architecture, name, monkeypatch):
    backbone = BACKBONES[architecture]()
    method = attach(name, backbone)
    builds = count_phm_builds(monkeypatch)
    optimizer = torch.optim.AdamW(method.parameters(), lr=1e-2)
    method.set_task(0)
    first = outputs(backbone, batch())
    loss = outputs(backbone, batch()).pow(2).mean()  # a second pass of the batch shares them
    assert builds[0] == 1
    built = {a: tuple(w.detach().clone() for w in ws) for a, ws in method.batch_weights().items()}
    loss.backward()
    trained = [p for p in method.parameters() if p.grad is not None]
    assert trained and all(p.grad.abs().sum() > 0 for p in trained)
    assert method.batch_weights() is None  # spent: the step below changes their parameters
    optimizer.step()
    with torch.no_grad():  # the next batch builds them from the updated parameters
        method.set_task(0)
        again = outputs(backbone, batch())
        for adapter, (down, up) in method.batch_weights().items():
            assert not torch.equal(down, built[adapter][0])
            assert not torch.equal(up, built[adapter][1])
            assert torch.equal(down, adapter.down.weight(method.phm_rule))
    assert not torch.equal(again, first)


def test_batched_phm_weights_give_the_outputs_of_per_adapter_weights(architecture):
    backbone = BACKBONES[architecture]()
    method = attach("compacter", backbone)
    with torch.no_grad():
        for parameter in method.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
        method.set_task(1)
        batched = outputs(backbone, batch())
        method.discard_batch_weights()  # no batch open: every adapter builds its own weights
        assert method.batch_weights() is None
        assert torch.equal(outputs(backbone, batch()), batched)


def test_evaluation_reuses_a_batchs_weights_until_the_next_set_task(monkeypatch):
    backbone = BACKBONES["t5"]()
    method = attach("compacter", backbone)
    builds = count_phm_builds(monkeypatch)
    with torch.no_grad():
        method.set_task(0)
        for _ in range(3):  # e.g. the decoding steps of one batch
            outputs(backbone, batch())
        assert builds[0] == 1
        method.set_task(0)
        outputs(backbone, batch())
        assert builds[0] == 2
    outputs(backbone, batch()).sum().backward()  # a training pass never uses no-grad weights
    assert builds[0] == 3
    assert method.phm_rule.grad is not None and method.phm_rule.grad.abs().sum() > 0


def test_loading_a_state_dict_discards_a_batchs_phm_weights():
    backbone = BACKBONES["bert"]()
    method = attach("compacter", backbone)
    with torch.no_grad():
        method.set_task(0)
        outputs(backbone, batch())
        assert method.batch_weights() is not None
        method.load_state_dict({k: v + 0.01 for k, v in method.state_dict().items()})
        assert method.batch_weights() is None
