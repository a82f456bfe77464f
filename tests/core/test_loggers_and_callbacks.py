"""Loggers and extra callbacks come from their `_target_` in the composed config."""

from __future__ import annotations

from pathlib import Path

from pytorch_lightning.callbacks import LearningRateMonitor
from pytorch_lightning.loggers import CSVLogger

from hyperpeft.training.trainer import build_logger, configured_callbacks
from tests.helpers.inprocess import compose_config


def test_the_csv_logger_writes_into_the_run_folder(tmp_path):
    logger = build_logger(compose_config("logger=csv"), tmp_path)
    assert isinstance(logger, CSVLogger)
    assert Path(logger.log_dir) == tmp_path / "logs"  # logs/metrics.csv, as the README says


def test_no_logger_has_no_target(tmp_path):
    assert build_logger(compose_config("logger=none"), tmp_path) is None


def test_callbacks_named_in_the_config_are_built_and_null_drops_one():
    target = "pytorch_lightning.callbacks.LearningRateMonitor"
    cfg = compose_config(
        f"+callbacks.lr._target_={target}",
        "+callbacks.lr.logging_interval=step",
        f"+callbacks.off._target_={target}",
    )
    cfg.callbacks.off = None
    (callback,) = configured_callbacks(cfg)
    assert isinstance(callback, LearningRateMonitor) and callback.logging_interval == "step"
    assert configured_callbacks(compose_config()) == []
