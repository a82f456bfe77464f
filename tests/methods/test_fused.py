"""The fused forms of the adapters' and LoRA's arithmetic compute the papers' formulas."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from hyperpeft.methods.layers.bottleneck import residual_linear
from tests.helpers.tiny_models import BACKBONES, attach, batch, outputs


def test_residual_linear_is_x_plus_a_linear_layer_forward_and_backward():
    torch.manual_seed(0)
    x = torch.randn(3, 7, 16, requires_grad=True)
    h = torch.randn(3, 7, 4, requires_grad=True)
    weight = torch.randn(16, 4, requires_grad=True)
    bias = torch.randn(16, requires_grad=True)
    fused = residual_linear(x, h, weight, bias)
    plain = x + F.linear(h, weight, bias)
    torch.testing.assert_close(fused, plain, rtol=1e-6, atol=1e-6)
    grad = torch.randn_like(plain)
    fused_grads = torch.autograd.grad(fused, (x, h, weight, bias), grad)
    plain_grads = torch.autograd.grad(plain, (x, h, weight, bias), grad)
    for got, expected in zip(fused_grads, plain_grads, strict=True):
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_lora_adds_its_scaled_update_to_the_frozen_output():
    backbone = BACKBONES["bert"]()
    method = attach("lora", backbone, alpha=16.0)  # scale 2: folded into B
    assert method.config.scale == 2
    with torch.no_grad():
        for update in method.lora.values():
            update.lora_B.normal_()
    linear, update = method._targets[0]
    x = torch.randn(2, 5, linear.in_features)
    expected = F.linear(x, linear.weight, linear.bias) + 2 * x @ update.lora_A.T @ update.lora_B.T
    torch.testing.assert_close(linear(x), expected, rtol=1e-5, atol=1e-5)
    outputs(backbone, batch()).sum().backward()
    assert all(u.lora_A.grad.abs().sum() > 0 for u in method.lora.values())
