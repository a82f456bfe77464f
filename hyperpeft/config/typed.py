"""OmegaConf does the type checking; this module turns what it refuses into one-line errors.

Structured configs reject a wrong type (`trainer.max_steps=lots`) and an unknown key as they
are composed. Their messages span several lines and name Python types, so `config_error` turns
them into a `ConfigError` naming the key, the value given and what the field accepts. Hydra's
`+key=value` adds keys even to a structured config, so `refuse_unknown_keys` checks a composed
config against its schemas once more.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import (
    ConfigAttributeError,
    ConfigKeyError,
    MissingMandatoryValue,
    OmegaConfBaseException,
    ValidationError,
)

from hyperpeft.errors import ConfigError

T = TypeVar("T")


class _AsWritten(str):
    """A value shown without quotes: where it was set, when the value itself is not known."""

    def __repr__(self) -> str:
        return str(self)


NOT_GIVEN = _AsWritten("<not known>")


def typed(schema: T | type[T], values: Mapping[str, Any] | DictConfig, key: str) -> T:
    """`values` checked against `schema` (a dataclass or an instance giving the defaults) and
    returned as that dataclass; `key` is where the values sit in the composed config."""
    try:
        if isinstance(values, DictConfig):  # plain values: its own schema may be another copy
            values = OmegaConf.to_container(values, resolve=True)  # type: ignore[assignment]
        merged = OmegaConf.merge(OmegaConf.structured(schema), values)
        return typing.cast(T, OmegaConf.to_object(merged))
    except MissingMandatoryValue:
        raise
    except OmegaConfBaseException as err:
        error = config_error(err, prefix=key, values=values)  # type: ignore[arg-type]
        if error is None:
            raise
        raise error from err


def config_error(
    err: BaseException,
    overrides: Sequence[str] = (),
    prefix: str = "",
    values: Mapping[str, Any] | None = None,
) -> ConfigError | None:
    """The one-line form of an OmegaConf refusal found in `err` or its causes; None if there is
    none, or if it is a value left unset (`???`), which the CLI reports in its own words.
    `overrides` (the command line) or `values` (what was checked) supply the value shown."""
    cause = _omegaconf_cause(err)
    if cause is None or isinstance(cause, MissingMandatoryValue) or not cause.full_key:
        return None
    key = f"{prefix}.{cause.full_key}" if prefix else str(cause.full_key)
    value = _given_value(key, overrides, err, cause, values)
    if isinstance(cause, (ConfigKeyError, ConfigAttributeError)):
        return ConfigError(key, value, _known_keys(cause, key))
    if isinstance(cause, ValidationError):
        annotation = _field_type(cause.object_type, cause.key)
        if annotation is not None:
            return ConfigError(key, value, describe(annotation))
        first_line = str(cause.msg or cause).splitlines()[0]
        return ConfigError(key, value, first_line)
    return None


def refuse_unknown_keys(cfg: DictConfig, prefix: str = "") -> None:
    """Raise a ConfigError for the first key of a structured node that its dataclass lacks
    (Hydra's `+key=value` adds one past the schema); untyped nodes accept any key."""
    names = _field_names(OmegaConf.get_type(cfg))
    for key in cfg:
        full_key = f"{prefix}{key}"
        if names is not None and key not in names:
            value = OmegaConf.to_container(cfg, resolve=False)[key]  # type: ignore[index]
            raise ConfigError(full_key, value, _not_a_key(prefix.rstrip("."), names))
        if OmegaConf.is_missing(cfg, key) or OmegaConf.is_interpolation(cfg, key):
            continue
        child = cfg[key]
        if isinstance(child, DictConfig):
            refuse_unknown_keys(child, f"{full_key}.")


def describe(annotation: Any) -> str:
    """What a field of this type accepts, in the words of a YAML user."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return " or ".join(describe(a) for a in inner) + " or null"
    if origin in (list, tuple):
        (item,) = typing.get_args(annotation)[:1] or (Any,)
        return f"a list of {_plural(describe(item))}" if item is not Any else "a list"
    if origin in (dict, Mapping):
        return "a mapping of keys to values"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return f"one of {', '.join(member.name for member in annotation)}"
    words = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    return words.get(annotation, "a value")


def _plural(words: str) -> str:
    return {"an integer": "integers", "a number": "numbers", "a string": "strings"}.get(
        words, words
    )


def _omegaconf_cause(err: BaseException | None) -> OmegaConfBaseException | None:
    """The OmegaConf error behind `err`; Hydra chains some explicitly, others implicitly."""
    while err is not None:
        if isinstance(err, OmegaConfBaseException):
            return err
        err = err.__cause__ or err.__context__
    return None


def _field_names(schema: Any) -> list[str] | None:
    if isinstance(schema, type) and dataclasses.is_dataclass(schema):
        return [f.name for f in dataclasses.fields(schema)]
    return None


def _field_type(schema: Any, key: Any) -> Any:
    if _field_names(schema) is None or not isinstance(key, str):
        return None
    return typing.get_type_hints(schema).get(key)


def _known_keys(cause: OmegaConfBaseException, key: str) -> str:
    names = _field_names(cause.object_type)
    if names is None and isinstance(cause.parent_node, DictConfig):
        names = [str(k) for k in cause.parent_node]
    return _not_a_key(key.rpartition(".")[0], names)


def _not_a_key(parent: str, names: list[str] | None) -> str:
    where = f"not a key of {parent}" if parent else "not a top-level key"
    return f"{where}; one of: {', '.join(names)}" if names else where


def _given_value(
    key: str,
    overrides: Sequence[str],
    err: BaseException,
    cause: OmegaConfBaseException,
    values: Mapping[str, Any] | None,
) -> Any:
    """The value as the user gave it: on the command line (the override Hydra's message quotes,
    if the key is given twice), in the values checked, else as OmegaConf's message quotes it."""
    given = [o for o in overrides if o.lstrip("+~").partition("=")[0] == key and "=" in o]
    if given:
        quoted = [o for o in given if o in str(err)]
        override = (quoted or given)[-1]
        return _parse_value(override, override.partition("=")[2])
    if values is not None:
        found = _lookup(values, str(cause.full_key))
        if found is not NOT_GIVEN:
            return found
    quoted_value = re.match(r"Value '(.*?)' (of type|is not)", str(cause.msg or ""))
    if quoted_value:
        return quoted_value.group(1)
    in_file = re.match(r"In '(.+?)':", str(err))
    return _AsWritten(f"<set in {in_file.group(1)}>") if in_file else NOT_GIVEN


def _lookup(values: Mapping[str, Any], dotted: str) -> Any:
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return NOT_GIVEN
        node = node[part]
    return node


def _parse_value(override: str, text: str) -> Any:
    """`3` for `key=3`: Hydra's own parser, so the value reads as Hydra understood it."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        return OverridesParser.create().parse_override(override).value()
    except Exception:  # a malformed override is Hydra's to report; show the text as typed
        return text
