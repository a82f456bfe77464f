"""Where a benchmark task's rows come from: a local folder in the official layout, or the hub.

Both sources give the same normal rows: a task parses an official file record with
`parse_local` and a hub row with `parse_hub`. Hub label columns are `ClassLabel` integers; they
are turned back into their names before `parse_hub`, so a task maps labels by name in both cases.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperpeft.errors import DataError
from hyperpeft.tasks.readers import parse_records
from hyperpeft.tasks.rows import RowError

if TYPE_CHECKING:
    from hyperpeft.tasks.base import Row
    from hyperpeft.tasks.benchmark import BenchmarkTask

DATA_DIR_HINT = (
    "point the environment variable HYPERPEFT_DATA_DIR or the option data.dir=... at a folder "
    "laid out as the official downloads (glue/<TASK>/{train,dev}.tsv, "
    "superglue/<TASK>/{train,val}.jsonl)"
)


def local_paths(task: BenchmarkTask, data_dir: str | Path) -> dict[str, Path]:
    return {split: Path(data_dir) / relative for split, relative in task.local_files.items()}


def load_local(task: BenchmarkTask, data_dir: str | Path) -> dict[str, list[Row]]:
    """Rows per official split, read from the official files under `data_dir`."""
    paths = local_paths(task, data_dir)
    absent = [path for path in paths.values() if not path.is_file()]
    if absent:
        expected = "; ".join(
            f"{path} ({'missing' if path in absent else 'found'})" for path in paths.values()
        )
        raise DataError(
            f"task {task.name}: data files not found. Expected: {expected}. To fix: "
            f"{DATA_DIR_HINT}, or read it from the Hugging Face hub ({task.hub_path}, "
            f"config {task.hub_config}) with network access."
        )
    return {
        split: parse_records(path, task.read_local(path), task.parse_local)
        for split, path in paths.items()
    }


def _label_names(part: Any) -> list[str] | None:
    feature = getattr(part, "features", {}).get("label")
    return list(feature.names) if hasattr(feature, "names") else None


def load_hub(task: BenchmarkTask) -> dict[str, list[Row]]:
    """Rows per official split from `datasets.load_dataset(hub_path, hub_config)`."""
    import datasets  # imported here: it is slow to import and only this path needs it

    source = f"{task.hub_path} (config {task.hub_config})"
    try:
        dataset = datasets.load_dataset(task.hub_path, task.hub_config)
    except OSError as error:  # offline, unreachable, not found: all OSError subclasses
        raise DataError(
            f"task {task.name}: could not load {source} from the Hugging Face hub ({error}). "
            f"Without network access, {DATA_DIR_HINT}."
        ) from None
    rows: dict[str, list[Row]] = {}
    for split, hub_split in task.hub_splits.items():
        if hub_split not in dataset:
            raise DataError(f"task {task.name}: {source} has no split {hub_split!r}")
        part = dataset[hub_split]
        names = _label_names(part)
        rows[split] = []
        for position, record in enumerate(part):
            if names is not None and isinstance(record.get("label"), int):
                label = record["label"]
                record = {**record, "label": names[label] if 0 <= label < len(names) else None}
            try:
                rows[split].extend(task.parse_hub(record, position))
            except RowError as error:
                raise DataError(f"{source}, split {hub_split}, row {position}: {error}") from None
    return rows
