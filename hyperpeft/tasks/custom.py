"""A user's own task: csv / tsv / jsonl files, its fields and labels named in the config.

    name: my_task                      # optional; the key under task.custom
    train: path/to/train.csv           # required
    validation: path/to/dev.csv        # optional: held out from train by the protocol
    test: null                         # optional: the validation split is cut in halves
    format: null                       # csv | tsv | jsonl; default: each file's extension
    text_fields: [sentence1, sentence2]
    label_field: label                 # default "label"
    label_names: [negative, positive]  # the file may hold the word or its index
    regression: false                  # true: a number label, label_names null
    metrics: [accuracy, f1]            # default: [accuracy], or [pearson, spearman]

csv and tsv files need a header row naming the fields; tsv is read without quoting (a quote is
text). Relative paths are taken from the working directory. Any bad value raises `ConfigError`
naming `task.custom.<name>.<key>`; a bad row raises `DataError` with its file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

from hyperpeft.errors import ConfigError, DataError
from hyperpeft.tasks.base import OfficialData, Row, Task, compact
from hyperpeft.tasks.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS
from hyperpeft.tasks.readers import parse_records, read_delimited, read_jsonl
from hyperpeft.tasks.rows import RowError, label_index, number_label

KEYS = (
    "name",
    "train",
    "validation",
    "test",
    "format",
    "text_fields",
    "label_field",
    "label_names",
    "regression",
    "metrics",
)
FORMATS = ("csv", "tsv", "jsonl")
EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl"}
FILE_KEYS = ("train", "validation", "test")
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


class CustomTask(Task):
    """A classification or regression task over one or two text fields of the user's files."""

    benchmark = "custom"

    def __init__(self, name: str, spec: Mapping[str, Any]) -> None:
        prefix = f"task.custom.{name}"
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            raise ConfigError(
                "task.custom", name, "task names are letters, digits and _ . + - (no spaces)"
            )
        if not isinstance(spec, Mapping):
            raise ConfigError(prefix, spec, "a mapping with keys " + ", ".join(KEYS))
        for key in spec:
            if key not in KEYS:
                raise ConfigError(f"{prefix}.{key}", spec[key], "allowed keys: " + ", ".join(KEYS))
        if spec.get("name") not in (None, name):
            raise ConfigError(f"{prefix}.name", spec["name"], f"the key it is under: {name!r}")
        self.name = name
        self.prefix = prefix
        self.files = self._files(spec)
        self.formats = {split: self._format(spec, path) for split, path in self.files.items()}
        self.text_fields = self._text_fields(spec.get("text_fields"))
        label_field = spec.get("label_field")
        self.label_field = self._label_field("label" if label_field is None else label_field)
        regression = spec.get("regression")
        regression = False if regression is None else regression
        if not isinstance(regression, bool):
            raise ConfigError(f"{prefix}.regression", regression, "true or false")
        self.head = "regression" if regression else "classification"
        self.label_names = self._label_names(spec.get("label_names"), regression)
        self.metric_names = self._metrics(spec.get("metrics"), regression)

    # ---- checks of the spec ------------------------------------------------------------------
    def _files(self, spec: Mapping[str, Any]) -> dict[str, Path]:
        files = {}
        for key in FILE_KEYS:
            value = spec.get(key)
            if value is None and key != "train":
                continue
            if not isinstance(value, str | PathLike) or not str(value).strip():
                allowed = "a path to a csv, tsv or jsonl file"
                raise ConfigError(
                    f"{self.prefix}.{key}", value, allowed + ("" if key == "train" else ", or null")
                )
            files[key] = Path(value).expanduser()
        return files

    def _format(self, spec: Mapping[str, Any], path: Path) -> str:
        value = spec.get("format")
        if value is None:
            if path.suffix.lower() not in EXTENSIONS:
                raise ConfigError(
                    f"{self.prefix}.format",
                    value,
                    f"one of {', '.join(FORMATS)} (the extension of {str(path)!r} does not tell)",
                )
            return EXTENSIONS[path.suffix.lower()]
        if value not in FORMATS:
            raise ConfigError(
                f"{self.prefix}.format", value, f"one of {', '.join(FORMATS)}, or null"
            )
        return value

    def _text_fields(self, value: Any) -> tuple[str, ...]:
        fields = [value] if isinstance(value, str) else value
        allowed = "a list of one or two field names, e.g. [sentence1, sentence2]"
        if (
            not _is_list(fields)
            or not 1 <= len(fields) <= 2
            or not all(isinstance(field, str) and field.strip() for field in fields)
            or len(set(fields)) != len(fields)
        ):
            raise ConfigError(f"{self.prefix}.text_fields", value, allowed)
        return tuple(fields)

    def _label_field(self, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{self.prefix}.label_field", value, "a field name")
        if value in self.text_fields:
            raise ConfigError(f"{self.prefix}.label_field", value, "a field not in text_fields")
        return value

    def _label_names(self, value: Any, regression: bool) -> list[str] | None:
        key = f"{self.prefix}.label_names"
        if regression:
            if value is not None:
                raise ConfigError(key, value, "null for a regression task (regression: true)")
            return None
        if value is None:
            raise ConfigError(key, value, "a list of two or more label words (or regression: true)")
        if not _is_list(value) or len(value) < 2:
            raise ConfigError(key, value, "a list of two or more label words")
        if not all(isinstance(name, str | int) and not isinstance(name, bool) for name in value):
            raise ConfigError(key, value, "label words: strings (or integers)")
        names = [str(name).strip() for name in value]
        if not all(names) or len({compact(name) for name in names}) != len(names):
            raise ConfigError(key, value, "distinct, non-empty label words")
        return names

    def _metrics(self, value: Any, regression: bool) -> list[str]:
        allowed = REGRESSION_METRICS if regression else CLASSIFICATION_METRICS
        kind = "regression" if regression else "classification"
        key = f"{self.prefix}.metrics"
        if value is None:
            return list(REGRESSION_METRICS) if regression else ["accuracy"]
        names = [value] if isinstance(value, str) else value
        if not _is_list(names) or not names or len(set(names)) != len(names):
            raise ConfigError(key, value, f"a list of distinct metrics from: {', '.join(allowed)}")
        for name in names:
            if name not in allowed:
                raise ConfigError(key, name, f"for {kind}, one of: {', '.join(allowed)}")
            if name == "f1" and len(self.label_names) != 2:
                raise ConfigError(key, name, "f1 needs two labels; use macro_f1 for more")
        return list(names)

    # ---- data --------------------------------------------------------------------------------
    def missing_files(self, data_dir: str | Path | None = None) -> list[Path]:
        return [path for path in self.files.values() if not path.is_file()]

    def _records(self, split: str) -> Iterator[tuple[int, dict[str, Any]]]:
        path, fmt = self.files[split], self.formats[split]
        if fmt == "jsonl":
            return read_jsonl(path)
        return read_delimited(path, "," if fmt == "csv" else "\t", quoted=fmt == "csv")

    def parse(self, record: dict[str, Any], position: int) -> list[Row]:
        row: Row = {"idx": position}
        for name in (*self.text_fields, self.label_field):
            if record.get(name) is None:
                raise RowError(
                    f"missing field {name!r} (the row has: {', '.join(map(str, record))})"
                )
        for name in self.text_fields:
            value = record[name]
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise RowError(f"field {name!r} should be text, got {value!r}")
            row[name] = str(value)
        value = record[self.label_field]
        if self.head == "regression":
            row["label"] = number_label(value)
        else:
            row["label"] = label_index(value, self.label_names)
        return [row]

    def official_data(self, data_dir: str | Path | None = None) -> OfficialData:
        """The user's files; `data_dir` is not used (their paths are in the task's config)."""
        missing = self.missing_files()
        if missing:
            listed = "; ".join(
                f"{self.prefix}.{split}={str(path)!r}"
                for split, path in self.files.items()
                if path in missing
            )
            raise DataError(
                f"task {self.name}: data files not found: {listed} (relative paths are taken "
                f"from {Path.cwd()}); set these keys to existing files"
            )
        rows = {
            split: parse_records(path, self._records(split), self.parse)
            for split, path in self.files.items()
        }
        return OfficialData(rows["train"], rows.get("validation"), rows.get("test"))
