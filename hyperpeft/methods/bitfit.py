"""`bitfit`: train only the bias terms (Ben Zaken et al.).

Existing backbone biases (BERT: every linear and LayerNorm bias) become trainable. Linear layers
without a bias (all of T5's) get a zero-initialised bias owned by this module and added by a
hook, so a fresh BitFit leaves the outputs unchanged. The LM head stays frozen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

import torch
from torch import nn

from hyperpeft.backbones.backbone import Backbone
from hyperpeft.methods.architectures import is_frozen_module
from hyperpeft.methods.config import MethodConfig
from hyperpeft.methods.freezing import unfreeze_biases
from hyperpeft.methods.method import Method
from hyperpeft.methods.registry import register


@dataclass
class BitFitConfig(MethodConfig):
    # The Compacter paper's BitFit rate on T5-base.
    default_learning_rates: ClassVar[dict[str, float]] = {"*": 3e-4}


@register("bitfit", BitFitConfig)
class BitFitMethod(Method):
    config: BitFitConfig

    def __init__(
        self, name: str, config: BitFitConfig, backbone: Backbone, task_names: Sequence[str]
    ) -> None:
        super().__init__(name, config, backbone, task_names)
        unfreeze_biases(backbone.model, self.architecture)
        self.biases = nn.ParameterDict()
        for module_name, module in backbone.model.named_modules():
            if (
                isinstance(module, nn.Linear)
                and module.bias is None
                and not is_frozen_module(module_name, self.architecture)
            ):
                bias = nn.Parameter(torch.zeros(module.out_features))
                self.biases[module_name.replace(".", "-")] = bias
                self.hook_output(module, partial(self._add_bias, bias))

    @staticmethod
    def _add_bias(
        bias: nn.Parameter, module: nn.Module, args: Any, output: torch.Tensor
    ) -> torch.Tensor:
        return output + bias
