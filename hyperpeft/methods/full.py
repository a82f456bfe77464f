"""`full`: fine-tune every backbone parameter (the papers' upper baseline); adds nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from hyperpeft.backbones.backbone import Backbone
from hyperpeft.methods.config import MethodConfig
from hyperpeft.methods.method import Method
from hyperpeft.methods.registry import register


@dataclass
class FullConfig(MethodConfig):
    # T5 as in both papers; BERT-size encoders as in BERT's own fine-tuning recipe.
    default_learning_rates: ClassVar[dict[str, float]] = {"encoder-decoder": 3e-4, "*": 2e-5}
    # rabeehk/hyperformer's finetune.json (the Compacter code's baseline.json uses none).
    default_label_smoothing: ClassVar[float] = 0.1


@register("full", FullConfig)
class FullMethod(Method):
    def __init__(
        self, name: str, config: FullConfig, backbone: Backbone, task_names: Sequence[str]
    ) -> None:
        super().__init__(name, config, backbone, task_names)
        for parameter in backbone.model.parameters():
            parameter.requires_grad_(True)
