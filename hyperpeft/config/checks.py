"""Range checks that a field's type cannot express, shared by the schemas' `validate` methods."""

from __future__ import annotations

from hyperpeft.errors import ConfigError


def check_positive(key: str, value: float | int | None, allow_zero: bool = False) -> None:
    """`value` > 0 (or >= 0); None passes, for optional fields left unset."""
    if value is None:
        return
    if not (value >= 0 if allow_zero else value > 0):
        raise ConfigError(key, value, f"a number {'>= 0' if allow_zero else '> 0'}")


def check_fraction(key: str, value: float) -> None:
    """`value` in [0, 1): a share of steps, a dropout probability."""
    if not 0 <= value < 1:
        raise ConfigError(key, value, "a number in [0, 1)")
