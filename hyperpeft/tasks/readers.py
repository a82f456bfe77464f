"""Read tsv, csv and jsonl files as (line number, record) pairs, and parse them into rows.

Every record carries the line it ended on, so a bad row is reported as `file, line N`. GLUE's tsv
files hold unmatched quote characters inside sentences, so tsv is read with the csv module and
`QUOTE_NONE`: a tab always separates fields and a quote is just a character. csv keeps standard
quoting (a quoted field may span lines). Blank lines are skipped; a byte-order mark is ignored.
Both read an open text `stream` instead of opening `path` when given one (standard input, for
`hyperpeft-predict`); `path` then only names it in messages.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import IO, Any

from hyperpeft.errors import DataError
from hyperpeft.tasks.rows import RowError

Record = dict[str, Any]


def _where(path: Path, line: int) -> str:
    return f"{path}, line {line}"


def _open(path: Path, stream: IO[str] | None, newline: str | None = None) -> Any:
    if stream is not None:
        return nullcontext(stream)
    return open(path, encoding="utf-8-sig", newline=newline)


def read_delimited(
    path: Path,
    delimiter: str,
    quoted: bool,
    columns: Sequence[str] | None = None,
    stream: IO[str] | None = None,
    required: Sequence[str] = (),
) -> Iterator[tuple[int, Record]]:
    """Rows as dicts keyed by the header row, or by `columns` for files without a header; a
    header without one of the `required` columns stops at the header, naming them."""
    quoting = csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE
    kind = "tab-separated" if delimiter == "\t" else f"{delimiter!r}-separated"
    try:
        with _open(path, stream, newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter, quoting=quoting, strict=quoted)
            header = list(columns) if columns is not None else None
            for fields in reader:
                line = reader.line_num
                if not fields or fields == [""]:
                    continue
                if header is None:
                    header = [name.strip() for name in fields]
                    if len(set(header)) != len(header):
                        raise DataError(f"{_where(path, line)}: the header repeats a column name")
                    absent = [name for name in required if name not in header]
                    if absent:
                        raise DataError(
                            f"{_where(path, line)}: the header has no column "
                            f"{', '.join(map(repr, absent))} (it has: {', '.join(header)})"
                        )
                    continue
                if len(fields) != len(header):
                    raise DataError(
                        f"{_where(path, line)}: {len(fields)} {kind} fields, expected "
                        f"{len(header)} ({', '.join(header)})"
                    )
                yield line, dict(zip(header, fields, strict=True))
    except csv.Error as error:
        raise DataError(f"{_where(path, reader.line_num)}: {error}") from None
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error})") from None


def read_jsonl(path: Path, stream: IO[str] | None = None) -> Iterator[tuple[int, Record]]:
    """One JSON object per line."""
    try:
        with _open(path, stream) as handle:
            for line, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    record = json.loads(text)
                except json.JSONDecodeError as error:
                    raise DataError(f"{_where(path, line)}: not valid JSON ({error.msg})") from None
                if not isinstance(record, dict):
                    raise DataError(f"{_where(path, line)}: expected a JSON object")
                yield line, record
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error})") from None


def parse_records(
    path: Path,
    records: Iterator[tuple[int, Record]],
    parse: Callable[[Record, int], list[Record]],
) -> list[Record]:
    """Apply `parse(record, position)` to every record; a `RowError` becomes a `DataError` with
    the file and line. `position` counts records from 0 (the row's index in the file)."""
    rows: list[Record] = []
    for position, (line, record) in enumerate(records):
        try:
            rows.extend(parse(record, position))
        except RowError as error:
            raise DataError(f"{_where(path, line)}: {error}") from None
    return rows
