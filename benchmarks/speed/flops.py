"""The FLOPs of one training step, counted by torch's FlopCounterMode.

torch counts matrix multiplies (mm, addmm, bmm, the CUDA attention kernels); on the CPU,
scaled-dot-product attention runs a kernel of its own that the counter does not know, so its
forward and backward formulas are added here, the same formulas torch uses for the GPU kernels.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.utils.flop_counter import (
    FlopCounterMode,
    sdpa_backward_flop_count,
    sdpa_flop_count,
)


def _attention(query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs) -> int:
    return sdpa_flop_count(query_shape, key_shape, value_shape)


def _attention_backward(
    grad_out_shape, query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs
) -> int:
    return sdpa_backward_flop_count(grad_out_shape, query_shape, key_shape, value_shape)


aten = torch.ops.aten
CPU_ATTENTION: dict = {}
if hasattr(aten, "_scaled_dot_product_flash_attention_for_cpu"):
    CPU_ATTENTION[aten._scaled_dot_product_flash_attention_for_cpu] = _attention
    CPU_ATTENTION[aten._scaled_dot_product_flash_attention_for_cpu_backward] = _attention_backward


def count_flops(step: Callable[[], None]) -> dict:
    """Total FLOPs of `step()` and their split by operator (for reading a profile)."""
    with FlopCounterMode(display=False, custom_mapping=CPU_ATTENTION) as counter:
        step()
    by_operator = {str(op): int(n) for op, n in counter.get_flop_counts()["Global"].items()}
    return {"total": int(counter.get_total_flops()), "by_operator": by_operator}
