"""The pieces of a resumable run: the training loader's Lightning state, the kept previous
checkpoint, metrics.csv continued, and the progress bar of a resumed run."""

from __future__ import annotations

import csv
from types import SimpleNamespace

import pytest
from lightning_fabric.utilities.types import _Stateful
from pytorch_lightning.loggers import CSVLogger

from hyperpeft.atomic import atomic_write, atomic_write_text
from hyperpeft.data.datamodule import ResumableLoader
from hyperpeft.data.sampler import TemperatureBatchSampler
from hyperpeft.tracking.csv_metrics import continue_metrics
from hyperpeft.training.callbacks import RunProgressBar


def _loader(consumed=None) -> ResumableLoader:
    sampler = TemperatureBatchSampler([30, 20], 2, 40, 1.0, seed=5, consumed=consumed)
    return ResumableLoader(list(range(50)), batch_sampler=sampler)


def test_the_training_loader_is_stateful_for_lightning_and_resumes_the_sequence():
    # Lightning saves and restores a loader that is `_Stateful`, and warns that one that is not
    # cannot resume mid-epoch: the warning is gone because the state is really there
    assert isinstance(_loader(), _Stateful)
    full = [batch.tolist() for batch in _loader()]
    resumed = _loader()
    resumed.load_state_dict(_loader(consumed=lambda: 13).state_dict())
    assert [batch.tolist() for batch in resumed] == full[13:]


def test_a_save_keeps_the_state_it_replaces(tmp_path):
    target, previous = tmp_path / "last.ckpt", tmp_path / "previous.ckpt"
    atomic_write_text(target, "first")
    atomic_write_text(target, "second")  # without keep_previous: replaced
    assert not previous.exists()
    atomic_write(target, lambda tmp: tmp.write_text("third"), keep_previous=previous)
    assert (target.read_text(), previous.read_text()) == ("third", "second")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.ckpt", "previous.ckpt"]


def test_a_resumed_run_keeps_the_rows_logged_before_its_checkpoint(tmp_path):
    first = CSVLogger(save_dir=str(tmp_path), name="logs", version="")
    for step in range(0, 50, 10):
        first.log_metrics({"train/loss": 1.0 / (step + 1)}, step=step)
    first.log_metrics({"val/score": 0.5}, step=19)
    first.save()

    resumed = CSVLogger(save_dir=str(tmp_path), name="logs", version="")
    continue_metrics(resumed, from_step=20)  # the checkpoint the run resumes from
    resumed.log_metrics({"train/loss": 0.01}, step=29)
    resumed.log_metrics({"test/score": 0.7}, step=40)  # a column the first part never had
    resumed.save()

    with (tmp_path / "logs" / "metrics.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["step"], row["train/loss"]) for row in rows[:3]] == [
        ("0", "1.0"),
        ("10", str(1.0 / 11)),
        ("19", ""),
    ]
    assert rows[2]["val/score"] == "0.5"
    assert [row["step"] for row in rows] == ["0", "10", "19", "29", "40"]
    assert rows[-1]["test/score"] == "0.7"


@pytest.mark.parametrize("resumed_at", [0, 63])
def test_the_progress_bar_counts_the_whole_run(resumed_at):
    """Lightning's own bar totals the steps left (`63/37` after a resume at 63) and names an
    epoch of an epoch-less run (`Epoch 0/-2`)."""
    bar = RunProgressBar()
    trainer = SimpleNamespace(
        num_training_batches=100, max_steps=100, global_step=resumed_at, max_epochs=-1
    )
    bar._trainer = trainer
    assert bar.total_train_batches == 100
    assert bar._get_train_description(0).strip() == "Training"
