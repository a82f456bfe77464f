"""A run folded into its backbone and saved with `save_pretrained`: plain transformers loads it.

What can be folded: LoRA (`Method.merge()` adds `scale * B A` to each target weight), and any
method that adds no parameters of its own, whose training changed backbone weights in place
(`full`; `bitfit` on backbones that have their biases, as BERT does). What cannot: the adapter
family's layers are modules of their own, and BitFit's biases on T5 sit on linear layers a T5
is built without; a plain T5 model has nowhere to load them.
"""

from __future__ import annotations

from pathlib import Path

from hyperpeft.errors import ConfigError
from hyperpeft.methods import Method
from hyperpeft.methods.bitfit import BitFitMethod
from hyperpeft.recipe import TrainedRun


def can_merge(method: Method) -> bool:
    """The method folds itself into the backbone, or has nothing of its own to fold."""
    return type(method).merge is not Method.merge or not any(True for _ in method.parameters())


def refusal(method: Method, model_type: str) -> str:
    """Why this run has no merged form (one line)."""
    if isinstance(method, BitFitMethod):
        return (
            f"method {method.name} added biases to the bias-free linear layers of {model_type}, "
            f"which a plain {model_type} model has no place for; use --format safetensors"
        )
    return (
        f"method {method.name} adds layers of its own, not weights of the backbone, so they "
        "cannot be folded into it; use --format safetensors"
    )


def check_mergeable(trained: TrainedRun) -> None:
    method = trained.module.method
    if not can_merge(method):
        model_type = trained.module.backbone.config.model_type
        raise ConfigError("--format", "merged", refusal(method, model_type))


def write_merged(trained: TrainedRun, folder: Path) -> list[Path]:
    """The merged backbone and its tokenizer (`save_pretrained` of both) in `folder`."""
    check_mergeable(trained)
    method = trained.module.method
    if type(method).merge is not Method.merge:
        method.merge()
    trained.module.backbone.save_pretrained(str(folder))
    trained.module.tokenizer.save_pretrained(str(folder))
    return sorted(folder.iterdir())
