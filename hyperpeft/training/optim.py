"""AdamW with linear warmup and linear decay, as both papers trained.

Weight decay pulls a weight matrix toward zero; a layer norm's gain, a bias or an embedding
pulled toward zero is not regularised but broken (a task embedding decayed to 0 is no task at
all), so those train without it: the reference trainers' `no_decay` groups (`bias`,
`LayerNorm.weight`), with embeddings added and norms found by module type rather than by name
(T5's norms are called `layer_norm`, which that name filter missed: the architecture table's
norm classes decide).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from transformers import get_linear_schedule_with_warmup

# Devices with torch's fused AdamW kernel: one pass over each parameter's four tensors instead of
# the reference loop's dozen elementwise operations. On the CPU that is about 10x less time in the
# optimizer: a tenth of full fine-tuning's step on minilm, a few milliseconds per step for the
# parameter-efficient methods' hundred small tensors.
FUSED_DEVICES = ("cpu", "cuda")


def adamw_kernel(parameters: list[torch.nn.Parameter], fused_allowed: bool) -> dict:
    """AdamW's implementation: the fused kernel where it exists and is allowed; otherwise torch's
    own choice (the multi-tensor kernel on GPUs, the reference loop on CPUs)."""
    fused = fused_allowed and all(
        p.device.type in FUSED_DEVICES and p.dtype.is_floating_point for p in parameters
    )
    return {"fused": True} if fused and parameters else {}


NormTest = Callable[[nn.Module], bool]  # the backbone's layer norm classes, and nn.LayerNorm


def never_decayed(
    module_name: str, module: nn.Module, parameter_name: str, is_norm: NormTest
) -> bool:
    """Layer norms, biases (a `bias`, or a member of a `biases` dict) and embeddings (an
    nn.Embedding, or a member of an `...embeddings` dict such as the task embeddings)."""
    container = module_name.rsplit(".", 1)[-1]
    return (
        is_norm(module)
        or isinstance(module, nn.Embedding)
        or "bias" in parameter_name
        or (isinstance(module, nn.ParameterDict) and container.endswith(("biases", "embeddings")))
    )


def decay_groups(model: nn.Module, weight_decay: float, is_norm: NormTest) -> list[dict]:
    """The trainable parameters as AdamW's two groups: decayed, and never decayed."""
    decayed: list[nn.Parameter] = []
    exempt: list[nn.Parameter] = []
    seen: set[int] = set()
    for module_name, module in model.named_modules():
        for parameter_name, parameter in module.named_parameters(recurse=False):
            if not parameter.requires_grad or id(parameter) in seen:
                continue
            seen.add(id(parameter))
            exempt_here = never_decayed(module_name, module, parameter_name, is_norm)
            (exempt if exempt_here else decayed).append(parameter)
    return [
        {"params": decayed, "weight_decay": weight_decay},
        {"params": exempt, "weight_decay": 0.0},
    ]


def configure_adamw(
    groups: list[dict],
    learning_rate: float,
    warmup_steps: int,
    total_steps: int,
    fused_allowed: bool = True,
) -> dict:
    """`groups`: `decay_groups(...)` (groups without parameters are left out)."""
    groups = [g for g in groups if g["params"]]
    trainable = [p for g in groups for p in g["params"]]
    optimizer = torch.optim.AdamW(
        groups, lr=learning_rate, **adamw_kernel(trainable, fused_allowed)
    )
    schedule = get_linear_schedule_with_warmup(optimizer, warmup_steps, max(total_steps, 1))
    return {
        "optimizer": optimizer,
        "lr_scheduler": {"scheduler": schedule, "interval": "step", "frequency": 1},
    }
