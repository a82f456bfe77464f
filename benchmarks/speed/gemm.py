"""This machine's matrix-multiply rate on the shapes of one training step, and the GEMM floor.

Each linear layer of the backbone costs three multiplies per step: the forward `x W^T`
(tokens x in x out), the input gradient `dY W` and the weight gradient `dY^T x`. Each distinct
shape is timed on its own; the rate is the step's total multiply work over its total time,
each shape weighted by how often the step runs it. The floor of a step is then its counted
FLOPs over that rate: the time a perfect implementation would spend in matrix multiplies alone.
"""

from __future__ import annotations

from collections import Counter

import torch
from torch import nn

from benchmarks.speed.measure import Clock

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


def step_shapes(model: nn.Module, tokens: int) -> Counter:
    """(m, k, n) -> how many multiplies of an (m x k) by a (k x n) matrix one step runs."""
    shapes: Counter = Counter()
    for module in model.modules():
        if isinstance(module, nn.Linear):
            d_in, d_out = module.in_features, module.out_features
            shapes[(tokens, d_in, d_out)] += 1  # forward
            shapes[(tokens, d_out, d_in)] += 1  # gradient of the input
            shapes[(d_out, tokens, d_in)] += 1  # gradient of the weight
    return shapes


def time_matmul(m: int, k: int, n: int, dtype: torch.dtype, device: str, seconds: float) -> float:
    """Seconds per (m x k) @ (k x n), the median of repeats filling about `seconds`."""
    a = torch.randn(m, k, dtype=dtype, device=device)
    b = torch.randn(k, n, dtype=dtype, device=device)
    clock = Clock(device)
    for _ in range(2):
        a @ b
    start = clock.now()
    a @ b
    once = max(clock.now() - start, 1e-6)
    repeats = max(3, min(200, int(seconds / once)))
    times = []
    for _ in range(repeats):
        start = clock.now()
        a @ b
        times.append(clock.now() - start)
    times.sort()
    return times[len(times) // 2]


def measure_rate(
    model: nn.Module, tokens: int, precision: str, device: str, seconds: float = 0.3
) -> dict:
    shapes = step_shapes(model, tokens)
    per_shape = []
    total_flops = total_time = 0.0
    for (m, k, n), count in sorted(shapes.items()):
        seconds_each = time_matmul(m, k, n, DTYPES[precision], device, seconds)
        flops = 2.0 * m * k * n
        per_shape.append(
            {"m": m, "k": k, "n": n, "count": count, "gflops_per_s": flops / seconds_each / 1e9}
        )
        total_flops += count * flops
        total_time += count * seconds_each
    return {
        "gflops_per_s": total_flops / total_time / 1e9,
        "precision": precision,
        "tokens": tokens,
        "shapes": per_shape,
    }
