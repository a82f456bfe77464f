"""A user's own task: csv / tsv / jsonl files, its fields and labels named in the config.

    hyperpeft task=custom 'task.tasks=[reviews]' +task.custom.reviews.train=data/train.csv \
      '+task.custom.reviews.text_fields=[review]' '+task.custom.reviews.label_names=[neg,pos]'

The keys of `task.custom.<name>`, their defaults and checks are `CustomTaskConfig`
(`hyperpeft.tasks.config`). tsv is read without quoting (a quote is text). Any bad value raises
`ConfigError` naming `task.custom.<name>.<key>`; a bad row raises `DataError` with its file and
line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from hyperpeft.errors import DataError
from hyperpeft.tasks.base import OfficialData, Row, Task
from hyperpeft.tasks.config import CustomTaskConfig
from hyperpeft.tasks.head import Head
from hyperpeft.tasks.readers import parse_records, read_delimited, read_jsonl
from hyperpeft.tasks.rows import RowError, label_index, number_label


class CustomTask(Task):
    """A classification or regression task over one or two text fields of the user's files."""

    benchmark = "custom"

    def __init__(self, name: str, spec: Mapping[str, Any]) -> None:
        self.settings = CustomTaskConfig.from_mapping(name, spec)
        self.name = name
        self.prefix = f"task.custom.{name}"
        self.files = self.settings.files
        self.formats = self.settings.formats
        self.text_fields = tuple(self.settings.text_fields)
        self.label_field = self.settings.label_field
        self.head = self.settings.head
        self.label_names = self.settings.label_names
        self.metric_names = self.settings.metrics

    # ---- data --------------------------------------------------------------------------------
    def missing_files(self, data_dir: str | Path | None = None) -> list[Path]:
        return [path for path in self.files.values() if not path.is_file()]

    def data_files(self, data_dir: str | Path | None = None) -> list[Path]:
        """The user's files; `data_dir` (HYPERPEFT_DATA_DIR) is not where they are."""
        return list(self.files.values())

    def missing_files_error(self) -> DataError | None:
        """Each missing file by the key that names it (not data.dir: the keys give the paths)."""
        missing = self.missing_files()
        if not missing:
            return None
        listed = "; ".join(
            f"{self.prefix}.{split}={str(path)!r}"
            for split, path in self.files.items()
            if path in missing
        )
        return DataError(
            f"task {self.name}: data files not found: {listed} (relative paths are taken "
            f"from {Path.cwd()}); set these keys to existing files"
        )

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
        if self.head == Head.REGRESSION:
            row["label"] = number_label(value)
        else:
            row["label"] = label_index(value, self.label_names)
        return [row]

    def official_data(self, data_dir: str | Path | None = None) -> OfficialData:
        """The user's files; `data_dir` is not used (their paths are in the task's config)."""
        missing = self.missing_files_error()
        if missing is not None:
            raise missing
        rows = {}
        for split, path in self.files.items():
            rows[split] = parse_records(path, self._records(split), self.parse)
            if not rows[split]:
                raise DataError(
                    f"{path}: no data rows (the file is empty, or holds a header only); "
                    f"{self.prefix}.{split} needs a file with rows"
                )
        return OfficialData(rows["train"], rows.get("validation"), rows.get("test"))
