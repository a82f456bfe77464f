"""Checks that turn one raw record (a tsv line, a jsonl object, a hub row) into a normal row.

Parsers raise `RowError` with what is wrong; the reader that knows the file and line (or the hub
split and row) turns it into a `DataError`, so every message names where the bad row is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any


class RowError(ValueError):
    """A record that cannot become a row; the caller adds the file and line."""


def text_field(record: Mapping[str, Any], key: str) -> str:
    """The string under `key`; a missing, empty-typed or non-string value is a row error."""
    if key not in record or record[key] is None:
        raise RowError(f"missing field {key!r}")
    value = record[key]
    if not isinstance(value, str):
        raise RowError(f"field {key!r} should be text, got {value!r}")
    return value


def input_text(record: Mapping[str, Any], key: str) -> str:
    """A text field of a row to predict on: a string, or a number written as one (jsonl)."""
    if record.get(key) is None:
        present = ", ".join(map(str, record)) or "no fields"
        raise RowError(f"missing field {key!r} (the row has: {present})")
    value = record[key]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RowError(f"field {key!r} should be text, got {value!r}")
    return str(value)


def int_field(record: Mapping[str, Any], key: str) -> int:
    if key not in record or record[key] is None:
        raise RowError(f"missing field {key!r}")
    value = record[key]
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            return int(str(value).strip())
        except ValueError:
            raise RowError(f"field {key!r} should be an integer, got {value!r}") from None
    return value


def label_index(value: Any, names: Sequence[str]) -> int:
    """A class index from a label as the data holds it: the word, its index, or a bool.

    The word wins over the index, so labels named "1".."5" map by name, not by position.
    """
    if value is None or value == "":
        raise RowError("missing label")
    text = ("True" if value else "False") if isinstance(value, bool) else str(value).strip()
    if text in names:
        return list(names).index(text)
    if isinstance(value, bool) and len(names) == 2:
        return int(value)
    if not isinstance(value, float) and text.lstrip("-").isdigit():
        index = int(text)
        if 0 <= index < len(names):
            return index
    allowed = ", ".join(names)
    raise RowError(
        f"unknown label {value!r}: expected one of {allowed} or an index 0..{len(names) - 1}"
    )


def number_label(value: Any) -> float:
    """A finite float label (regression)."""
    if value is None or value == "" or isinstance(value, bool):
        raise RowError(f"label {value!r} is not a number")
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise RowError(f"label {value!r} is not a number") from None
    if not math.isfinite(number):
        raise RowError(f"label {value!r} is not a finite number")
    return number
