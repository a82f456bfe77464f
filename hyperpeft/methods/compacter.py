"""`compacter`, `compacter++` and `phm-adapter` (Karimi Mahabadi et al., NeurIPS 2021).

All three are bottleneck adapters whose projections are PHM layers:
- compacter: rank-r fast weights per layer, one rule tensor shared by every PHM layer of the
  model (down and up, every layer and stack, every task), as the reference code does;
- compacter++: the same, with adapters after the feed-forward block only;
- phm-adapter: full-rank fast weights and a rule per PHM layer, n=12.
Initialisation follows the reference code: fast weights in `layers.phm`, rules below.

The PHM weights of a batch are built in one batched product for all sites at the first adapter
call after `set_task` and serve that batch's forward passes (with gradients: until a backward
pass reaches them, since the optimizer step that follows changes their parameters; without: until
the next `set_task`, so evaluation builds them once per batch, not once per decoding step).
Without `set_task`, or once a batch's weights are spent, each adapter builds its own on the spot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import torch
from torch import nn

from hyperpeft.backbones.backbone import Backbone
from hyperpeft.errors import ConfigError
from hyperpeft.methods.architectures import FEED_FORWARD, AttachPoint
from hyperpeft.methods.config import BottleneckConfig, check_divides
from hyperpeft.methods.layers.phm import PHMBottleneck, new_rule, phm_weights
from hyperpeft.methods.registry import register
from hyperpeft.methods.task_adapters import TaskAdapterMethod

# The reference code's rule inits (rabeehk/compacter): a shared rule is N(0, phm_init_range), 1e-4
# in its Compacter configs; a rule per PHM layer is N(0, 0.01), hard-coded in its PHM layer.
SHARED_RULE_INIT_STD = 1e-4
LAYER_RULE_INIT_STD = 1e-2


@dataclass
class CompacterConfig(BottleneckConfig):
    phm_dim: int = field(
        default=4, metadata={"help": "n: Kronecker summands; must divide hidden and bottleneck."}
    )
    phm_rank: int | None = field(
        default=1, metadata={"help": "Rank r of the fast weights B_i; null: full rank."}
    )
    shared_rule: bool = field(
        default=True, metadata={"help": "One rule tensor A for every PHM layer of the model."}
    )
    rule_init_std: float | None = field(
        default=None,
        metadata={
            "help": "Std of the rules' normal init; null: the reference's, phm_init_range 1e-4 "
            "for a shared rule, 1e-2 for a rule per PHM layer."
        },
    )

    # The paper's learning rate for the Compacter family.
    default_learning_rates: ClassVar[dict[str, float]] = {"*": 3e-3}

    def validate(self, hidden_size: int) -> None:
        super().validate(hidden_size)
        check_divides("method.phm_dim", self.phm_dim, hidden_size, "hidden size")
        bottleneck = self.bottleneck_size(hidden_size)
        check_divides(
            "method.phm_dim", self.phm_dim, bottleneck, "bottleneck size (hidden/reduction_factor)"
        )
        if self.phm_rank is not None and self.phm_rank <= 0:
            raise ConfigError(
                "method.phm_rank", self.phm_rank, "an integer > 0, or null for full rank"
            )
        if self.rule_init_std is not None and self.rule_init_std < 0:
            raise ConfigError("method.rule_init_std", self.rule_init_std, "a number >= 0, or null")

    def resolved_rule_init_std(self) -> float:
        if self.rule_init_std is not None:
            return self.rule_init_std
        return SHARED_RULE_INIT_STD if self.shared_rule else LAYER_RULE_INIT_STD


@dataclass
class CompacterPlusPlusConfig(CompacterConfig):
    positions: list[str] = field(
        default_factory=lambda: [FEED_FORWARD],
        metadata={"help": "Compacter++: after the feed-forward only."},
    )


@dataclass
class PHMAdapterConfig(CompacterConfig):
    phm_dim: int = field(default=12, metadata={"help": "n: number of Kronecker summands."})
    phm_rank: int | None = field(default=None, metadata={"help": "null: full-rank B_i."})
    shared_rule: bool = field(default=False, metadata={"help": "False: a rule per PHM layer."})


@register("compacter", CompacterConfig)
@register("compacter++", CompacterPlusPlusConfig)
@register("phm-adapter", PHMAdapterConfig)
class CompacterMethod(TaskAdapterMethod):
    config: CompacterConfig

    def __init__(
        self, name: str, config: CompacterConfig, backbone: Backbone, task_names: Sequence[str]
    ) -> None:
        super().__init__(name, config, backbone, task_names)
        self.phm_rule = (
            new_rule(config.phm_dim, config.resolved_rule_init_std())
            if config.shared_rule
            else None
        )
        # the current batch's weights, adapter -> (down W, up W); open from `set_task` on
        self._batch_open = self._batch_trained = False
        self._batch_weights: dict[nn.Module, tuple[torch.Tensor, torch.Tensor]] | None = None
        self.register_load_state_dict_post_hook(lambda module, _: module.discard_batch_weights())

    def set_task(self, task_index: int) -> None:
        super().set_task(task_index)
        self._batch_open, self._batch_weights = True, None

    def discard_batch_weights(self) -> None:
        """Forget the batch's weights (a state dict was loaded; parameters changed by hand)."""
        self._batch_open, self._batch_weights = False, None

    def _on_backward(self, grad: torch.Tensor) -> None:
        self.discard_batch_weights()

    def batch_weights(self) -> dict[nn.Module, tuple[torch.Tensor, torch.Tensor]] | None:
        """The batch's weights, built now for every site if they are not yet; None outside a
        batch. A training forward never runs on weights built without gradients."""
        if not self._batch_open:
            return None
        grad = torch.is_grad_enabled()
        if self._batch_weights is not None and (self._batch_trained or not grad):
            return self._batch_weights
        training = grad and any(p.requires_grad for p in self.parameters())
        if self._batch_weights is not None and not training:
            return self._batch_weights
        adapters = self.task_adapters(self.task_name)
        layers = [layer for adapter in adapters for layer in (adapter.down, adapter.up)]
        weights = phm_weights(layers, self.phm_rule)
        if training:
            for weight in weights:
                weight.register_hook(self._on_backward)
        self._batch_trained = training
        self._batch_weights = {
            adapter: (weights[2 * i], weights[2 * i + 1]) for i, adapter in enumerate(adapters)
        }
        return self._batch_weights

    def make_adapter(self) -> nn.Module:
        return PHMBottleneck(
            self.hidden_size,
            self.config.bottleneck_size(self.hidden_size),
            self.config.activation,
            self.config.phm_dim,
            self.config.phm_rank,
            own_rules=not self.config.shared_rule,
            rule_init_std=self.config.resolved_rule_init_std(),
        )

    def run_adapter(self, adapter: nn.Module, x: torch.Tensor, point: AttachPoint) -> torch.Tensor:
        weights = self.batch_weights()
        return adapter(x, self.phm_rule, weights[adapter] if weights is not None else None)
