"""Parameterised hypercomplex multiplication (PHM) layers, the building block of Compacter.

A PHM weight is `W = sum_{i=1..n} A_i (x) B_i`: `A_i` (n x n) are the "slow" rules, `B_i`
((out/n) x (in/n)) the "fast" weights, optionally low rank `B_i = s_i t_i^T`. `W` is built once per
forward with two einsums (no loop over n) and applied with one F.linear, so the matrix multiply on
the activations costs what a dense adapter costs.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from hyperpeft.methods.layers.activation import ACTIVATIONS


def kronecker_sum(rule: torch.Tensor, fast: torch.Tensor) -> torch.Tensor:
    """`sum_i kron(rule[i], fast[i])`: rule (n, n, n), fast (n, p, q) -> (n*p, n*q)."""
    n, p, q = fast.shape
    return torch.einsum("iab,icd->acbd", rule, fast).reshape(n * p, n * q)


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
        rule = self.rule if self.rule is not None else shared_rule
        if rule is None:
            raise RuntimeError("PHMLinear without its own rule needs the shared rule")
        fast = (
            self.fast
            if self.fast is not None
            else torch.einsum("ipr,iqr->ipq", self.fast_left, self.fast_right)
        )
        return kronecker_sum(rule, fast)

    def forward(self, x: torch.Tensor, shared_rule: torch.Tensor | None = None) -> torch.Tensor:
        return F.linear(x, self.weight(shared_rule), self.bias)


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

    def forward(self, x: torch.Tensor, shared_rule: torch.Tensor | None = None) -> torch.Tensor:
        return x + self.up(self.activation(self.down(x, shared_rule)), shared_rule)
