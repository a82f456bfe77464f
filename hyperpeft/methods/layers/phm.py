"""Parameterised hypercomplex multiplication (PHM) layers, the building block of Compacter.

A PHM weight is `W = sum_{i=1..n} A_i (x) B_i`: `A_i` (n x n) are the "slow" rules, `B_i`
((out/n) x (in/n)) the "fast" weights, optionally low rank `B_i = s_i t_i^T`. `W` is built with two
einsums (no loop over n) and applied with one matrix multiply, so the multiply on the activations
costs what a dense adapter costs. `phm_weights` builds the weights of many PHM layers at once (the
same two einsums over a stack of layers), which is how a method builds a whole step's weights.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from hyperpeft.methods.layers.activation import ACTIVATIONS
from hyperpeft.methods.layers.bottleneck import residual_linear


def kronecker_sum(rule: torch.Tensor, fast: torch.Tensor) -> torch.Tensor:
    """`sum_i kron(rule[i], fast[i])`: rule (n, n, n), fast (n, p, q) -> (n*p, n*q).

    Leading dimensions batch: rule (..., n, n, n) or (n, n, n), fast (..., n, p, q)."""
    n, p, q = fast.shape[-3:]
    kron = torch.einsum("...iab,...icd->...acbd", rule, fast)
    return kron.reshape(*kron.shape[:-4], n * p, n * q)


def fast_weights(left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
    """Low-rank fast weights `B_i = s_i t_i^T`: (..., n, p, r), (..., n, q, r) -> (..., n, p, q)."""
    return torch.einsum("...ipr,...iqr->...ipq", left, right)


# The reference code (rabeehk/compacter, hypercomplex/inits.py) uses Xavier/Glorot with this gain.
FAST_WEIGHT_GAIN = math.sqrt(2.0)


def glorot_uniform_slices(*shape: int) -> nn.Parameter:
    """A (n, a, b) parameter whose every slice [i] is Xavier-uniform on its own fans a + b.

    The reference initialises each of the n fast matrices (or each factor of a low-rank one) on
    its own, so the fans are the slice's two dimensions, never the stacked tensor's:
    `U(-bound, bound)` with `bound = sqrt(2) * sqrt(6 / (a + b))`.
    """
    tensor = torch.empty(*shape)
    for matrix in tensor:
        nn.init.xavier_uniform_(matrix, gain=FAST_WEIGHT_GAIN)
    return nn.Parameter(tensor)


def new_rule(phm_dim: int, init_std: float) -> nn.Parameter:
    """A PHM rule tensor `A` of shape (n, n, n), normal init N(0, init_std)."""
    return nn.Parameter(torch.empty(phm_dim, phm_dim, phm_dim).normal_(std=init_std))


class PHMLinear(nn.Module):
    """`y = x W^T + b` with a PHM weight; the rule is its own or passed in (shared rule).

    `rank=None` keeps full-rank fast weights (PHM-Adapter); `rank=r` factorises them (Compacter).
    Initialised as the reference code: every slice of the fast weights is Glorot-uniform (gain
    sqrt(2)) on its own fans, so a full-rank `B_i` (out/n x in/n) has fans out/n + in/n, a left
    factor `s_i` (out/n x r) out/n + r and a right factor `t_i` (in/n x r) in/n + r; zero bias.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        phm_dim: int,
        rank: int | None,
        own_rule: bool,
        rule_init_std: float,
    ) -> None:
        super().__init__()
        n = phm_dim
        p, q = out_features // n, in_features // n
        if rank is None:
            self.fast = glorot_uniform_slices(n, p, q)
            self.register_parameter("fast_left", None)
            self.register_parameter("fast_right", None)
        else:
            self.register_parameter("fast", None)
            # B_i = fast_left[i] @ fast_right[i]^T: (p, r) @ (r, q)
            self.fast_left = glorot_uniform_slices(n, p, rank)
            self.fast_right = glorot_uniform_slices(n, q, rank)
        self.rule = new_rule(n, rule_init_std) if own_rule else None
        self.bias = nn.Parameter(torch.zeros(out_features))

    def weight(self, shared_rule: torch.Tensor | None = None) -> torch.Tensor:
        return phm_weights([self], shared_rule)[0]

    def forward(
        self,
        x: torch.Tensor,
        shared_rule: torch.Tensor | None = None,
        weight: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """`weight`: this layer's `W` if already built (`phm_weights`), else it is built here."""
        return F.linear(x, self.weight(shared_rule) if weight is None else weight, self.bias)


def phm_weights(
    layers: list[PHMLinear], shared_rule: torch.Tensor | None = None
) -> list[torch.Tensor]:
    """Every layer's `W`, built for all layers of a shape at once: their fast weights (and own
    rules) stacked, one einsum for the low-rank products and one for the Kronecker sums."""
    weights: dict[int, torch.Tensor] = {}
    groups: dict[tuple, list[int]] = {}
    for index, layer in enumerate(layers):
        if layer.rule is None and shared_rule is None:
            raise RuntimeError("PHMLinear without its own rule needs the shared rule")
        fast = (layer.fast,) if layer.fast is not None else (layer.fast_left, layer.fast_right)
        key = (*(tuple(p.shape) for p in fast), layer.rule is not None)
        groups.setdefault(key, []).append(index)
    for members in groups.values():
        group = [layers[i] for i in members]
        if group[0].fast is None:
            left = torch.stack([layer.fast_left for layer in group])
            right = torch.stack([layer.fast_right for layer in group])
            fast = fast_weights(left, right)
        else:
            fast = torch.stack([layer.fast for layer in group])
        own = group[0].rule is not None
        rule = torch.stack([layer.rule for layer in group]) if own else shared_rule
        for i, weight in zip(members, kronecker_sum(rule, fast).unbind(0), strict=True):
            weights[i] = weight
    return [weights[i] for i in range(len(layers))]


class PHMBottleneck(nn.Module):
    """A bottleneck adapter whose down and up projections are PHM layers (Compacter)."""

    def __init__(
        self,
        hidden: int,
        bottleneck: int,
        activation: str,
        phm_dim: int,
        rank: int | None,
        own_rules: bool,
        rule_init_std: float,
    ) -> None:
        super().__init__()
        self.activation = ACTIVATIONS[activation]
        self.down = PHMLinear(hidden, bottleneck, phm_dim, rank, own_rules, rule_init_std)
        self.up = PHMLinear(bottleneck, hidden, phm_dim, rank, own_rules, rule_init_std)

    def forward(
        self,
        x: torch.Tensor,
        shared_rule: torch.Tensor | None = None,
        weights: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """`weights`: the (down, up) `W`s if already built for this step, else built here."""
        down, up = (
            weights if weights is not None else phm_weights([self.down, self.up], shared_rule)
        )
        h = self.activation(self.down(x, weight=down))
        return residual_linear(x, h, up, self.up.bias)
