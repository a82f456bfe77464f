"""A task of an official benchmark (GLUE, SuperGLUE): its files, its hub dataset, its rows.

A subclass declares `local_files` (official split -> path relative to the data folder),
`hub_path`, `hub_config` and `hub_splits` (official split -> hub split), and parses a record of
either source into normal rows. `assemble` turns the official splits into train and validation
(MNLI overrides it to put its two validation sets together).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from hyperpeft.tasks.base import OfficialData, Row, Task
from hyperpeft.tasks.sources import load_hub, load_local, local_paths


class BenchmarkTask(Task):
    local_files: ClassVar[dict[str, str]]
    hub_path: ClassVar[str]
    hub_config: ClassVar[str]
    hub_splits: ClassVar[dict[str, str]] = {"train": "train", "validation": "validation"}

    def read_local(self, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
        raise NotImplementedError

    def parse_local(self, record: dict[str, Any], position: int) -> list[Row]:
        """Normal rows from one record of an official file (`position`: its index in the file)."""
        raise NotImplementedError

    def parse_hub(self, record: dict[str, Any], position: int) -> list[Row]:
        """Normal rows from one hub row (its label already turned into its name)."""
        raise NotImplementedError

    def assemble(self, rows: dict[str, list[Row]]) -> OfficialData:
        return OfficialData(train=rows["train"], validation=rows["validation"])

    def missing_files(self, data_dir: str | Path | None) -> list[Path]:
        return [path for path in self.data_files(data_dir) if not path.is_file()]

    def data_files(self, data_dir: str | Path | None) -> list[Path]:
        return [] if data_dir is None else list(local_paths(self, data_dir).values())

    def official_data(self, data_dir: str | Path | None) -> OfficialData:
        rows = load_hub(self) if data_dir is None else load_local(self, data_dir)
        return self.assemble(rows)
