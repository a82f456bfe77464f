"""Metrics as CSV in the run folder: `logs/metrics.csv`, through Lightning's CSVLogger."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig
from pytorch_lightning.loggers import CSVLogger


def csv_logger(run_config: DictConfig, run_dir: str | Path, folder: str = "logs") -> CSVLogger:
    """The `_target_` of conf/logger/csv.yaml; the run's config is not needed here."""
    return CSVLogger(save_dir=str(run_dir), name=folder, version="")
