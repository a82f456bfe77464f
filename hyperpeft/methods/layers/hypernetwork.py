"""Hypernetworks that generate adapter weights (Hyperformer, Hyperformer++).

A hypernetwork maps an input embedding through a task projector MLP and a LayerNorm to a source
vector `I`, then one linear generator maps `I` to every weight of an adapter (down/up weights and
biases, conditional layer norm gamma/beta) at once, or of several adapters (one block of output
rows per adapter position). A batch of inputs (every layer, every position) is one call.
"""

from __future__ import annotations

import torch
from torch import nn

# The reference code's LayerNorm on the projected source (rabeehk/hyperformer).
SOURCE_NORM_EPS = 1e-6


def normal_linear(in_features: int, out_features: int, std: float) -> nn.Linear:
    linear = nn.Linear(in_features, out_features)
    nn.init.normal_(linear.weight, std=std)
    nn.init.zeros_(linear.bias)
    return linear


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
        input_dim: int,
        hidden_dim: int,
        source_dim: int,
        output_dim: int,
        init_std: float,
        zero_rows: tuple[slice, ...] = (),
    ) -> None:
        super().__init__()
        self.projector = nn.Sequential(
            normal_linear(input_dim, hidden_dim, init_std),
            nn.ReLU(),
            normal_linear(hidden_dim, source_dim, init_std),
        )
        self.source_norm = nn.LayerNorm(source_dim, eps=SOURCE_NORM_EPS)
        self.generator = normal_linear(source_dim, output_dim, init_std / source_dim**0.5)
        with torch.no_grad():
            for rows in zero_rows:
                self.generator.weight[rows].zero_()

    def source(self, inputs: torch.Tensor) -> torch.Tensor:
        """(..., input_dim) -> the normalised source `I`, (..., source_dim)."""
        return self.source_norm(self.projector(inputs))

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
