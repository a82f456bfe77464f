"""Hypernetworks that generate adapter weights (Hyperformer, Hyperformer++).

A hypernetwork maps an input embedding through a task projector MLP and a LayerNorm to a source
vector `I`, then one linear generator maps `I` to every weight of an adapter (down/up weights and
biases, conditional layer norm gamma/beta) at once. `groups` independent hypernetworks (one per
layer for Hyperformer) run as one batched matmul per stage.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class BatchedLinear(nn.Module):
    """`groups` independent linear maps applied in one `baddbmm`: (G, N, in) -> (G, N, out)."""

    def __init__(self, groups: int, in_features: int, out_features: int, init_std: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(groups, out_features, in_features))
        self.bias = nn.Parameter(torch.zeros(groups, out_features))
        nn.init.normal_(self.weight, std=init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias.unsqueeze(1), x, self.weight.transpose(1, 2))


class HyperNetwork(nn.Module):
    """Task projector (input -> hidden -> source, ReLU), LayerNorm, linear generator.

    Initialisation keeps a fresh method close to the backbone, the principle of every adapter
    here: projector weights N(0, init_std) and zero biases as in the reference code; generator
    weights N(0, init_std / sqrt(source_dim)), so each generated weight has std ~init_std like a
    plain adapter's (the source is layer-normalised, unit scale); and the `zero_rows` of the
    generator (generated biases, conditional layer norm gamma and beta) start at zero, so a fresh
    adapter outputs exactly zero until the first update. (The reference's N(0, 1e-2) generators
    give gammas of std ~0.08 on a normalised tiny output, changing a fresh model by ~30%.)
    """

    def __init__(
        self,
        groups: int,
        input_dim: int,
        hidden_dim: int,
        source_dim: int,
        output_dim: int,
        init_std: float,
        zero_rows: tuple[slice, ...] = (),
    ) -> None:
        super().__init__()
        self.projector_hidden = BatchedLinear(groups, input_dim, hidden_dim, init_std)
        self.projector_out = BatchedLinear(groups, hidden_dim, source_dim, init_std)
        self.source_norm_weight = nn.Parameter(torch.ones(groups, 1, source_dim))
        self.source_norm_bias = nn.Parameter(torch.zeros(groups, 1, source_dim))
        self.generator = BatchedLinear(groups, source_dim, output_dim, init_std / source_dim**0.5)
        with torch.no_grad():
            for rows in zero_rows:
                self.generator.weight[:, rows].zero_()

    def source(self, inputs: torch.Tensor) -> torch.Tensor:
        """(G, N, input_dim) -> the normalised source `I`, (G, N, source_dim)."""
        hidden = F.relu(self.projector_hidden(inputs))
        source = F.layer_norm(self.projector_out(hidden), (self.source_norm_weight.shape[-1],))
        return source * self.source_norm_weight + self.source_norm_bias

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.generator(self.source(inputs))


class AdapterLayout:
    """Where each generated tensor sits in a generator's output row, and its shape."""

    def __init__(self, hidden: int, bottleneck: int, conditional_layer_norm: bool) -> None:
        d, k = hidden, bottleneck
        shapes: dict[str, tuple[int, ...]] = {
            "down_weight": (k, d),
            "down_bias": (k,),
            "up_weight": (d, k),
            "up_bias": (d,),
        }
        if conditional_layer_norm:
            shapes |= {"norm_weight": (d,), "norm_bias": (d,)}
        self.shapes = shapes
        self.sizes = [int(torch.Size(s).numel()) for s in shapes.values()]
        self.size = sum(self.sizes)

    def rows(self, name: str) -> slice:
        """The generator output rows of one generated tensor."""
        start = 0
        for key, size in zip(self.shapes, self.sizes, strict=True):
            if key == name:
                return slice(start, start + size)
            start += size
        raise KeyError(name)

    def split(self, rows: torch.Tensor) -> dict[str, torch.Tensor]:
        """(..., size) -> {name: (..., *shape)} as views of `rows`."""
        lead = rows.shape[:-1]
        parts = rows.split(self.sizes, dim=-1)
        return {
            name: part.reshape(*lead, *shape)
            for (name, shape), part in zip(self.shapes.items(), parts, strict=True)
        }
