"""Typed method configs: each method's dataclass is its config schema.

These dataclasses own the methods' defaults and types; `hyperpeft.config.register_configs`
stores each one with Hydra under the name its method is registered with, and `conf/method/*.yaml`
only overrides them. OmegaConf refuses unknown keys and wrong types; `validate` adds the range
checks that need the backbone's sizes. Modules never read config dicts; they receive one of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from omegaconf import MISSING

from hyperpeft.config.checks import check_positive
from hyperpeft.errors import ConfigError
from hyperpeft.methods.architectures import POSITIONS
from hyperpeft.methods.layers.activation import ACTIVATIONS


@dataclass
class MethodConfig:
    """Keys every method has."""

    name: str = field(
        default=MISSING, metadata={"help": "The method's registered name (conf/method option)."}
    )
    learning_rate: float | None = field(
        default=None,
        metadata={"help": "AdamW peak learning rate; null picks the backbone family's default."},
    )
    train_layer_norms: bool = field(
        default=False, metadata={"help": "Also train the backbone's layer norms (papers: true)."}
    )

    # Used when `learning_rate` is null; keyed by backbone family, "*" for any.
    default_learning_rates: ClassVar[dict[str, float]] = {"*": 3e-4}
    # Whether the method keeps parameters per task and so needs the task names.
    needs_tasks: ClassVar[bool] = False
    # The recipe's label smoothing, used when `trainer.label_smoothing` is null: the reference
    # code of the paper the method comes from (Hyperformer's configs: 0.1; Compacter's: none).
    default_label_smoothing: ClassVar[float] = 0.0

    def resolved_learning_rate(self, family: str) -> float:
        if self.learning_rate is not None:
            return self.learning_rate
        rates = self.default_learning_rates
        return rates.get(family, rates["*"])

    def validate(self, hidden_size: int) -> None:
        """Check values against the backbone; raise ConfigError on the first bad one."""
        check_positive("method.learning_rate", self.learning_rate)


def check_divides(key: str, divisor: int, dimension: int, what: str) -> None:
    """`divisor` must be a positive integer dividing `dimension` (named by `what`)."""
    if divisor <= 0 or dimension % divisor:
        divisors = [d for d in range(1, dimension + 1) if dimension % d == 0]
        shown = ", ".join(map(str, divisors[:12])) + (", ..." if len(divisors) > 12 else "")
        raise ConfigError(key, divisor, f"a divisor of the {what} {dimension}: {shown}")


def check_positions(key: str, positions: list[str]) -> None:
    if (
        not positions
        or any(p not in POSITIONS for p in positions)
        or len(set(positions)) < len(positions)
    ):
        raise ConfigError(key, list(positions), f"a non-empty list of {', '.join(POSITIONS)}")


@dataclass
class BottleneckConfig(MethodConfig):
    """Keys shared by every bottleneck-adapter method (adapter, compacter, hyperformer)."""

    reduction_factor: int = field(
        default=32, metadata={"help": "Bottleneck size is hidden_size / reduction_factor."}
    )
    activation: str = field(default="gelu_new", metadata={"help": "Adapter non-linearity."})
    positions: list[str] = field(
        default_factory=lambda: list(POSITIONS),
        metadata={"help": "Sublayers that get an adapter: attention, feed_forward."},
    )
    train_layer_norms: bool = field(
        default=True, metadata={"help": "Also train the backbone's layer norms (papers: true)."}
    )

    needs_tasks: ClassVar[bool] = True

    def validate(self, hidden_size: int) -> None:
        super().validate(hidden_size)
        check_divides("method.reduction_factor", self.reduction_factor, hidden_size, "hidden size")
        if self.activation not in ACTIVATIONS:
            raise ConfigError(
                "method.activation", self.activation, f"one of {', '.join(ACTIVATIONS)}"
            )
        check_positions("method.positions", self.positions)

    def bottleneck_size(self, hidden_size: int) -> int:
        return hidden_size // self.reduction_factor
