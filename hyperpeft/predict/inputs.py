"""The rows to predict on: a csv, tsv or jsonl file, or standard input ("-").

Read with the tasks' own readers (`hyperpeft.tasks.readers`), so quoting, byte-order marks and
the `file, line N` of a bad row are as for training data. Each record becomes a row through
`task.input_row`: the task's text fields (as the built-in task or the custom task's config names
them), no label. Standard input has no name to tell its format by: a first character `{` is
jsonl, a tab in the first line tsv, anything else csv.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import IO

from hyperpeft.errors import ConfigError, DataError
from hyperpeft.tasks import Row, Task
from hyperpeft.tasks.readers import parse_records, read_delimited, read_jsonl

STDIN = "-"
INPUT_FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl"}


def sniff_format(text: str) -> str:
    start = text.lstrip("\ufeff \t\r\n")
    if start.startswith("{"):
        return "jsonl"
    return "tsv" if "\t" in start.split("\n", 1)[0] else "csv"


def file_format(source: str) -> str:
    """The format of an input file by its extension; a ConfigError for anything else."""
    fmt = INPUT_FORMATS.get(Path(source).suffix.lower())
    if fmt is None:
        allowed = ", ".join(INPUT_FORMATS)
        raise ConfigError("input", source, f"a {allowed} file, or {STDIN} for standard input")
    return fmt


def read_input(source: str, task: Task, stdin: IO[bytes] | None = None) -> list[Row]:
    """Every row of `source` as `task` needs it; a bad row is a DataError naming its line."""
    stream: IO[str] | None = None
    if source == STDIN:
        path = Path("<stdin>")
        raw = (stdin or sys.stdin.buffer).read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise DataError(f"{path}: not UTF-8 text ({error})") from None
        fmt, stream = sniff_format(text), io.StringIO(text, newline="")
    else:
        path, fmt = Path(source), file_format(source)
        if not path.is_file():
            raise ConfigError("input", source, "no such file")
    if fmt == "jsonl":
        records = read_jsonl(path, stream)
    else:
        records = read_delimited(path, "," if fmt == "csv" else "\t", fmt == "csv", stream=stream)
    return parse_records(path, records, lambda record, position: [task.input_row(record, position)])
