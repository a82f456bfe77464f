"""Typed method configs: the composed `method` group becomes a dataclass at the door.

Modules never read config dicts; they receive one of these dataclasses. Unknown keys and values
of the wrong type are rejected here with a `ConfigError` naming `method.<key>`, so a typo on the
command line (`method.reduction_factr=16`) fails before anything is built.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from hyperpeft.errors import ConfigError
from hyperpeft.methods.architectures import POSITIONS
from hyperpeft.methods.layers.activation import ACTIVATIONS

C = TypeVar("C", bound="MethodConfig")


@dataclass
class MethodConfig:
    """Keys every method has."""

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

    @classmethod
    def from_mapping(cls: type[C], values: Mapping[str, Any]) -> C:
        """Build from the `method` group minus `name`, checking every key and type."""
        hints = typing.get_type_hints(cls)
        names = [f.name for f in dataclasses.fields(cls)]
        kwargs = {}
        for key, value in values.items():
            if key not in names:
                raise ConfigError(f"method.{key}", value, f"one of the keys {', '.join(names)}")
            kwargs[key] = _coerce(f"method.{key}", value, hints[key])
        return cls(**kwargs)

    def resolved_learning_rate(self, family: str) -> float:
        if self.learning_rate is not None:
            return self.learning_rate
        rates = self.default_learning_rates
        return rates.get(family, rates["*"])

    def validate(self, hidden_size: int) -> None:
        """Check values against the backbone; raise ConfigError on the first bad one."""
        if self.learning_rate is not None and not self.learning_rate > 0:
            raise ConfigError("method.learning_rate", self.learning_rate, "a number > 0")


def _coerce(key: str, value: Any, annotation: Any) -> Any:
    """Accept YAML/OmegaConf values for a field of the given type, or raise ConfigError."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(annotation)
        if value is None and type(None) in options:
            return None
        (inner,) = [o for o in options if o is not type(None)]
        return _coerce(key, value, inner)
    if origin is tuple:
        if isinstance(value, str) or not isinstance(value, typing.Iterable):
            raise ConfigError(key, value, "a list")
        (inner, _) = typing.get_args(annotation)
        return tuple(_coerce(key, v, inner) for v in value)
    if annotation is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(key, value, "true or false")
    if annotation is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(key, value, "an integer")
    if annotation is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise ConfigError(key, value, "a number")
    if annotation is str:
        if isinstance(value, str):
            return value
        raise ConfigError(key, value, "a string")
    raise TypeError(f"{key}: unsupported config field type {annotation!r}")


def check_positive(key: str, value: float | int) -> None:
    if not value > 0:
        raise ConfigError(key, value, "a number > 0")


def check_divides(key: str, divisor: int, dimension: int, what: str) -> None:
    """`divisor` must be a positive integer dividing `dimension` (named by `what`)."""
    if divisor <= 0 or dimension % divisor:
        divisors = [d for d in range(1, dimension + 1) if dimension % d == 0]
        shown = ", ".join(map(str, divisors[:12])) + (", ..." if len(divisors) > 12 else "")
        raise ConfigError(key, divisor, f"a divisor of the {what} {dimension}: {shown}")


def check_positions(key: str, positions: tuple[str, ...]) -> None:
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
    positions: tuple[str, ...] = field(
        default=POSITIONS,
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
