"""The one exception type that bad input raises.

A `ConfigError` is printed by the CLI as a single line and exits with status 2; anything else is
a bug and keeps its traceback. Raise it wherever a user's value is checked, naming the config key,
the value that was given and what would have been accepted.
"""

from __future__ import annotations

from typing import Any

# The exit status of every command of the project when the user's input is at fault.
EXIT_BAD_INPUT = 2


class ConfigError(Exception):
    """Bad input from the user: one line naming the key, the value and what is allowed."""

    def __init__(self, key: str, value: Any, allowed: str) -> None:
        self.key = key
        self.value = value
        self.allowed = allowed
        super().__init__(f"{key}={value!r}: {allowed}")

    def __reduce__(self) -> tuple:
        # Jobs on other processes (submitit, Ray, a DDP rank) send their exception back pickled.
        return (type(self), (self.key, self.value, self.allowed))


class DataError(Exception):
    """Data that cannot be read: missing files (say where they were expected) or a malformed row."""
