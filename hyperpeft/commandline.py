"""What the small commands (`hyperpeft-predict`, `hyperpeft-export`) share: bad input, whether a
usage mistake or a `ConfigError` / `DataError`, is one line `error: ...` on stderr with exit
status 2, never a traceback; and the libraries keep their progress bars and notices to
themselves, so that what the command prints is the command's own.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from hyperpeft.errors import EXIT_BAD_INPUT, ConfigError, DataError


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (the usage stays in --help)."""

    def error(self, message: str) -> NoReturn:
        fail(f"{message} (see {self.prog} --help)")


def fail(message: str) -> NoReturn:
    report_error(message)
    sys.exit(EXIT_BAD_INPUT)


def report_error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def quiet_libraries() -> None:
    """Offline-friendly defaults and no library chatter (models rebuilt from settings warn)."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def run_command(body: Callable[[argparse.Namespace], int], parser: OneLineParser) -> Callable:
    """`main(argv)` of a command: parse, run `body(args)`, turn bad input into one line."""

    def main(argv: Sequence[str] | None = None) -> int:
        args = parser.parse_args(argv)
        quiet_libraries()
        try:
            return body(args)
        except (ConfigError, DataError) as err:
            return report_error(str(err))

    return main
