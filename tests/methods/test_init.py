"""Initial statistics of the PHM layers against the Compacter reference code (rabeehk/compacter).

The reference stores a PHM layer's fast weights as `W` (n, in/n, out/n), or factorised as
`W_left` (n, in/n, r) and `W_right` (n, r, out/n), and initialises every slice `[i]` with
`torch.nn.init.xavier_uniform_(slice, gain=sqrt(2))`. On a 2-D (rows, cols) tensor torch takes
fan_in = cols and fan_out = rows, so the std is `gain * sqrt(6 / (fan_in + fan_out)) / sqrt(3)`
(a uniform on [-b, b] has std b / sqrt(3)) with the fans below. Our layout is transposed
(`y = x W^T`): `fast` (n, out/n, in/n), `fast_left` (n, out/n, r) plays `W_right` and
`fast_right` (n, in/n, r) plays `W_left`; only the sum of the fans enters the formula.
Rules: a shared rule N(0, phm_init_range = 1e-4), a rule per layer N(0, 0.01).
"""

from __future__ import annotations

import math

import pytest
import torch

from hyperpeft.methods.layers.phm import PHMLinear
from tests.helpers.tiny_models import BACKBONES, attach

GAIN = math.sqrt(2)


def reference_std(fan_in: int, fan_out: int) -> float:
    return GAIN * math.sqrt(6 / (fan_in + fan_out)) / math.sqrt(3)


def reference_fans(in_features: int, out_features: int, n: int, rank: int | None) -> dict:
    """(fan_in, fan_out) of one slice of each reference tensor, keyed by our parameter name."""
    p_in, p_out = in_features // n, out_features // n
    if rank is None:
        return {"fast": (p_out, p_in)}  # W[i]: (in/n, out/n)
    return {
        "fast_right": (rank, p_in),  # W_left[i]: (in/n, r)
        "fast_left": (p_out, rank),  # W_right[i]: (r, out/n)
    }


def pooled(layers: list[PHMLinear], name: str) -> torch.Tensor:
    return torch.cat([getattr(layer, name).detach().flatten() for layer in layers])


# T5-base's compacter (768 -> 24 -> 768, n=4, r=1) and phm-adapter (n=12, full rank) layers, and a
# rank > 1 case whose factors have different fans on both sides.
SHAPES = [
    (768, 24, 4, 1),
    (24, 768, 4, 1),
    (768, 24, 12, None),
    (24, 768, 12, None),
    (96, 48, 4, 6),
]


@pytest.mark.parametrize("in_features, out_features, n, rank", SHAPES)
def test_fast_weights_have_the_reference_glorot_statistics(in_features, out_features, n, rank):
    torch.manual_seed(0)
    # Pool fresh layers until each tensor has >= 20k samples: the std is then within ~1%.
    smallest = min(
        math.prod(s) for s in reference_fans(in_features, out_features, n, rank).values()
    )
    copies = max(1, math.ceil(20_000 / (n * smallest)))
    layers = [
        PHMLinear(in_features, out_features, n, rank, own_rule=False, rule_init_std=0.0)
        for _ in range(copies)
    ]
    for name, (fan_in, fan_out) in reference_fans(in_features, out_features, n, rank).items():
        values = pooled(layers, name)
        expected = reference_std(fan_in, fan_out)
        bound = expected * math.sqrt(3)
        assert values.std().item() == pytest.approx(expected, rel=0.03), name
        assert values.abs().max().item() <= bound  # uniform on [-bound, bound] ...
        assert values.abs().max().item() > 0.97 * bound  # ... and filling it
        assert abs(values.mean().item()) < 0.03 * expected
    assert all(torch.count_nonzero(layer.bias) == 0 for layer in layers)


def test_each_slice_is_initialised_on_its_own_fans_not_the_stacked_tensors():
    torch.manual_seed(0)
    layer = PHMLinear(768, 24, 12, None, own_rule=False, rule_init_std=0.0)
    expected = reference_std(24 // 12, 768 // 12)  # ~0.246; stacked fans would give ~0.05
    per_slice = layer.fast.detach().flatten(1).std(dim=1)
    torch.testing.assert_close(per_slice, torch.full((12,), expected), rtol=0.2, atol=0)


def rules(method) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for n, p in method.named_parameters() if "rule" in n])


@pytest.mark.parametrize(
    "name, overrides, expected",
    [
        ("compacter", {"phm_dim": 12}, 1e-4),  # shared: phm_init_range
        ("compacter++", {"phm_dim": 12}, 1e-4),
        ("phm-adapter", {}, 1e-2),  # per layer: the reference's hard-coded N(0, 0.01)
        ("compacter", {"phm_dim": 12, "shared_rule": False}, 1e-2),
        ("phm-adapter", {"rule_init_std": 1e-3}, 1e-3),  # an explicit std wins
    ],
)
def test_rules_have_the_reference_normal_std(name, overrides, expected):
    method = attach(name, BACKBONES["t5"](), **overrides)
    values = rules(method)
    assert values.numel() >= 12**3
    assert values.std().item() == pytest.approx(expected, rel=0.1)
    assert abs(values.mean().item()) < 0.1 * expected
