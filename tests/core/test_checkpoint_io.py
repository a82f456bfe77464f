"""The run's Trainer writes checkpoints with `DirectCheckpointIO`: `torch.save` into the file, not
into an in-memory buffer that is copied out again (Lightning's default, twice the checkpoint's
size in memory at every save). Python's allocation tracer sees such a buffer (bytes objects) but
not tensor storage, so its peak during a save tells the two apart."""

from __future__ import annotations

import tracemalloc

import pytest
import torch
from pytorch_lightning.plugins import TorchCheckpointIO

from hyperpeft.training.checkpoint_io import DirectCheckpointIO
from hyperpeft.training.trainer import build_trainer
from tests.helpers.inprocess import compose_config

STATE_MB = 32


def _checkpoint() -> dict:
    return {"state_dict": {"weight": torch.randn(STATE_MB * 2**20 // 4)}, "global_step": 7}


def _peak_python_mb_while_saving(io, path) -> float:
    checkpoint = _checkpoint()
    tracemalloc.start()
    try:
        io.save_checkpoint(checkpoint, path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def test_a_save_holds_no_copy_of_the_checkpoint_in_memory(tmp_path):
    direct = _peak_python_mb_while_saving(DirectCheckpointIO(), tmp_path / "a" / "last.ckpt")
    lightning = _peak_python_mb_while_saving(TorchCheckpointIO(), tmp_path / "b" / "last.ckpt")
    assert lightning > STATE_MB  # the buffer the default IO fills (the check sees it)
    assert direct < 2
    loaded = DirectCheckpointIO().load_checkpoint(tmp_path / "a" / "last.ckpt")
    assert loaded["global_step"] == 7 and loaded["state_dict"]["weight"].numel() == 2**23


def test_storage_options_are_refused(tmp_path):
    with pytest.raises(TypeError, match="storage_options"):
        DirectCheckpointIO().save_checkpoint({}, tmp_path / "x.ckpt", storage_options={"a": 1})


def test_the_runs_trainer_saves_through_it(tmp_path):
    cfg = compose_config("model=tiny-bert", "method=adapter", "logger=none")
    trainer, _ = build_trainer(cfg, tmp_path, [])
    assert isinstance(trainer.strategy.checkpoint_io, DirectCheckpointIO)
