"""A digest of the code that turns rows into features, for the token cache's key.

The rows, the tokenizer and the lengths are not all a cached feature depends on: the task's
formatting (which text goes where, how a label becomes a target word) and the encoding do too.
`code_fingerprint` follows that code from its entry points, such as the bound method
`task.encoder_example` and the formulation's `encode`, and hashes what it reaches:

- the source of every function reached: the entry points, the methods they call on their object
  (`self.source_text(...)`, properties included), and the functions of the same package they name
  (`prefixed`, `compact`), transitively;
- the values of the object's attributes that code reads (`self.label_names`, `self.text_fields`,
  a custom task's settings), since they shape the text as much as the code does.

So editing a task's formatting, a helper it calls, or a task's settings gives a new key, and a
stale entry can never be read back; editing code the features do not depend on (metrics, data
reading, whose effect the rows already carry) keeps the cache.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    """A function's code and the code nested in it (comprehensions, lambdas, inner functions)."""
    yield code
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _code_objects(constant)


def _names(function: types.FunctionType) -> set[str]:
    return {name for code in _code_objects(function.__code__) for name in code.co_names}


def _plain(value: Any) -> Any:
    """JSON's fallback for attribute values: sets in a stable order, anything else its repr."""
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    return repr(value)


def _package(obj: Any) -> str:
    return (getattr(obj, "__module__", None) or "").partition(".")[0]


def _source(obj: Any) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):  # defined where no source file is: its compiled code stands in
        code = getattr(obj, "__code__", None)
        return repr((code.co_code, code.co_consts)) if code is not None else repr(obj)


def _callable_parts(attribute: Any) -> list[types.FunctionType]:
    """The functions behind a class attribute found statically: a method, a property's
    accessors, a static or class method's function."""
    if isinstance(attribute, property):
        return [f for f in (attribute.fget, attribute.fset, attribute.fdel) if f is not None]
    if isinstance(attribute, staticmethod | classmethod):
        return [attribute.__func__]
    if isinstance(attribute, types.FunctionType):
        return [attribute]
    return []


def code_fingerprint(entry_points: Iterable[Callable]) -> str:
    """A digest of the code reachable from `entry_points` and of the attribute values it reads.

    A bound method's object is followed through `self.<name>`; plain functions are followed
    through the same-package functions and classes they name."""
    sources: dict[str, str] = {}
    values: dict[str, str] = {}
    seen: set[types.CodeType] = set()
    pending: list[tuple[types.FunctionType, Any]] = []
    for entry in entry_points:
        owner = getattr(entry, "__self__", None)
        pending.append((getattr(entry, "__func__", entry), owner))
    while pending:
        function, owner = pending.pop()
        if not isinstance(function, types.FunctionType) or function.__code__ in seen:
            continue
        seen.add(function.__code__)
        sources[function.__qualname__ + "@" + str(function.__module__)] = _source(function)
        package = _package(function)
        for name in sorted(_names(function)):
            if owner is not None and hasattr(owner, name):
                try:
                    attribute = inspect.getattr_static(owner, name)
                except AttributeError:
                    attribute = None
                parts = _callable_parts(attribute)
                if parts:
                    pending.extend((part, owner) for part in parts)
                elif not callable(attribute) and not isinstance(attribute, types.ModuleType):
                    values[name] = json.dumps(getattr(owner, name), sort_keys=True, default=_plain)
            named = function.__globals__.get(name)
            if _package(named) != package:
                continue
            if isinstance(named, types.FunctionType):
                pending.append((named, None))
            elif isinstance(named, type):
                sources[named.__qualname__ + "@" + named.__module__] = _source(named)
    payload = json.dumps({"sources": sources, "values": values}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]
