"""Metrics as CSV in the run folder: `logs/metrics.csv`, through Lightning's CSVLogger.

A resumed run keeps the rows of the part before it: `continue_metrics` holds on to the rows
logged before the step the run resumes from (those after it are logged again by the resumed
part), and the logger appends to them.
"""

from __future__ import annotations

import csv
import io
import warnings
from pathlib import Path

from omegaconf import DictConfig
from pytorch_lightning.loggers import CSVLogger, Logger

from hyperpeft.atomic import atomic_write_text


def csv_logger(run_config: DictConfig, run_dir: str | Path, folder: str = "logs") -> CSVLogger:
    """The `_target_` of conf/logger/csv.yaml; the run's config is not needed here."""
    return CSVLogger(save_dir=str(run_dir), name=folder, version="")


def continue_metrics(logger: Logger | None, from_step: int) -> None:
    """Before a resumed run logs anything: keep the earlier rows (step < `from_step`) of its
    metrics.csv, which Lightning's writer would otherwise delete, and append after them."""
    if not isinstance(logger, CSVLogger):
        return
    path = Path(logger.log_dir) / "metrics.csv"
    header, rows = _read_rows(path)
    kept = [row for row in rows if None not in row and _step(row) < from_step]
    with warnings.catch_warnings():  # "will be deleted": not these rows
        warnings.filterwarnings("ignore", message=".*exists and is not empty.*")
        writer = logger.experiment  # a dummy on DDP ranks other than 0
    if not header or not hasattr(writer, "metrics_keys"):
        return
    text = io.StringIO()
    out = csv.DictWriter(text, fieldnames=header, lineterminator="\n")
    out.writeheader()
    out.writerows(kept)
    atomic_write_text(path, text.getvalue())
    # the writer appends while the columns stay these, and rewrites the file when new ones come
    writer.metrics_keys = list(header)


def _read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not path.is_file():
        return [], []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def _step(row: dict[str, str]) -> float:
    try:
        return float(row.get("step") or "nan")
    except ValueError:
        return float("inf")  # a row cut short by a kill: dropped
