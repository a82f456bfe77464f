"""Dataclass fields that carry their help text and the check of their value.

A config dataclass declares each key once: its type, its default, what it means and, where a type
cannot say it all (a range, a consistency with an earlier key), its check. `from_values` builds
the dataclass from user values, refusing unknown keys and running the checks in field order, so a
check may read the keys before it. Every refusal is a one-line `ConfigError` naming the full key.

The checks are strict about types on purpose: OmegaConf's typed nodes would turn `train: 3` into
"3", `regression: yes` into true and YAML's unquoted `[no, yes]` into ["False", "True"], where the
user almost certainly meant something else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from omegaconf import MISSING, DictConfig, OmegaConf
from omegaconf.errors import InterpolationResolutionError

from hyperpeft.errors import ConfigError

C = TypeVar("C")
# check(full key, value, the values of the fields before it) -> the value to keep
Check = Callable[[str, Any, dict[str, Any]], Any]


def setting(
    help: str,
    default: Any = None,
    check: Check | None = None,
    default_factory: Callable[[], Any] | None = None,
) -> Any:
    """A dataclass field with its help text and check (`default` MISSING: the user must set it)."""
    metadata = {"help": help, "check": check}
    if default_factory is not None:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def plain(values: Any) -> Any:
    """A config node as plain Python values, interpolations resolved (a `???` stays `???`); a
    `ConfigError` raised by a resolver comes out as itself, not wrapped by OmegaConf."""
    if not isinstance(values, DictConfig):
        return values
    try:
        return OmegaConf.to_container(values, resolve=True)
    except InterpolationResolutionError as error:
        cause: BaseException | None = error
        while cause is not None and not isinstance(cause, ConfigError):
            cause = cause.__cause__ or cause.__context__
        if cause is None:
            raise
        raise cause from None


def from_values(cls: type[C], prefix: str, values: Mapping[str, Any]) -> C:
    """`cls` built from `values` (keys below `prefix`), every field checked; unset fields take
    their defaults before their checks run."""
    known = [field.name for field in dataclasses.fields(cls)]  # type: ignore[arg-type]
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{prefix}.{key}", value, "allowed keys: " + ", ".join(known))
    kept: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        value = values[field.name] if field.name in values else _default(field)
        check = field.metadata.get("check")
        kept[field.name] = value if check is None else check(f"{prefix}.{field.name}", value, kept)
    return cls(**kept)


def _default(field: dataclasses.Field) -> Any:
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return MISSING if field.default is dataclasses.MISSING else field.default


def is_unset(value: Any) -> bool:
    return value is None or value == MISSING
