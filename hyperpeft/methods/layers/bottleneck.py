"""The bottleneck adapter `y = x + up(act(down(x)))` (Houlsby et al. 2019)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from hyperpeft.methods.layers.activation import ACTIVATIONS


def residual_linear(
    x: torch.Tensor, h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor
) -> torch.Tensor:
    """`x + h W^T + b` as one matrix multiply that accumulates onto `x`.

    The bias rides along as one more input column of ones (`[h, 1] [W, b]^T`), so no pass over
    the (tokens x hidden) output is spent adding the bias, nor the residual, nor (backward)
    summing the bias gradient: the adapter's up-projection costs what its multiply costs.
    `h` is the bottleneck (tokens x k, k small), so the extra column is nearly free.
    """
    ones = h.new_ones(*h.shape[:-1], 1)
    h1 = torch.cat([h, ones], dim=-1).reshape(-1, h.shape[-1] + 1)
    w1 = torch.cat([weight, bias[:, None]], dim=1)  # (hidden, k + 1)
    out = torch.addmm(x.reshape(-1, x.shape[-1]), h1, w1.t())
    return out.view(x.shape)


class Bottleneck(nn.Module):
    """Down-projection to `bottleneck`, non-linearity, up-projection, residual.

    Initialised near the identity (normal weights of std `init_std`, zero biases) so that a fresh
    adapter barely changes the backbone's output.
    """

    def __init__(self, hidden: int, bottleneck: int, activation: str, init_std: float) -> None:
        super().__init__()
        self.activation = ACTIVATIONS[activation]
        self.down = nn.Linear(hidden, bottleneck)
        self.up = nn.Linear(bottleneck, hidden)
        for linear in (self.down, self.up):
            nn.init.normal_(linear.weight, std=init_std)
            nn.init.zeros_(linear.bias)

    def forward(self, x: torch.Tensor, norm: nn.Module | None = None) -> torch.Tensor:
        """`norm`: a layer norm on the adapter's output before the residual add, owned by the
        method (one per attach point, shared by the tasks)."""
        h = self.activation(self.down(x))
        if norm is None:
            return residual_linear(x, h, self.up.weight, self.up.bias)
        return x + norm(self.up(h))


def generated_bottleneck(
    x: torch.Tensor,
    down_weight: torch.Tensor,
    down_bias: torch.Tensor,
    up_weight: torch.Tensor,
    up_bias: torch.Tensor,
    activation: str,
    norm_weight: torch.Tensor | None = None,
    norm_bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """The same adapter with weights from a hypernetwork, plus its conditional layer norm.

    Hyperformer: `y = x + LN_{gamma,beta}(up(act(down(x))))`, gamma and beta generated too.
    """
    h = F.linear(ACTIVATIONS[activation](F.linear(x, down_weight, down_bias)), up_weight, up_bias)
    if norm_weight is not None:
        h = F.layer_norm(h, (h.shape[-1],), norm_weight, norm_bias)
    return x + h
