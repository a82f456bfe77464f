"""`hyperpeft logger=wandb` on a machine nobody logged into W&B from: the run goes offline without
asking anything, and its offline run file holds the parameter table and the scores."""

from __future__ import annotations

import json
import os
import struct
import time
from pathlib import Path

import pytest

from tests.helpers.commands import HYPERPEFT, run_command

pytestmark = pytest.mark.e2e

RUN = (
    "logger=wandb",
    "model=tiny-bert",
    "method=compacter",
    "method.reduction_factor=8",  # tiny-bert's hidden 64 -> bottleneck 8, which phm_dim 4 divides
    "task=rte",
    "trainer.max_steps=4",
    "trainer.eval_every=2",
    "trainer.batch_size=8",
    "trainer.eval_batch_size=32",
    "data.max_train_examples=64",
    "data.max_eval_examples=32",
)
CREDENTIALS = ("WANDB_API_KEY", "WANDB_IDENTITY_TOKEN_FILE", "WANDB_BASE_URL", "WANDB_ENTITY")
BLOCK = 32768  # W&B's run file is a LevelDB-style log: 32 KiB blocks of 7-byte-headed chunks
FULL, FIRST, LAST = 1, 2, 4  # chunk kinds; 3 is a middle piece


def _records(run_file: Path) -> list:
    """Every protobuf record of an offline run file, chunks joined back together."""
    from wandb.proto import wandb_internal_pb2

    data = run_file.read_bytes()
    position, pieces, records = 7, [], []  # the file opens with a 7-byte ":W&B" header
    while position + 7 <= len(data):
        left_in_block = BLOCK - position % BLOCK
        _, length, kind = struct.unpack("<IHB", data[position : position + 7])
        if left_in_block < 7 or (length == 0 and kind == 0):  # block trailer or padding
            position += left_in_block
            continue
        payload = data[position + 7 : position + 7 + length]
        position += 7 + length
        pieces = [payload] if kind in (FULL, FIRST) else [*pieces, payload]
        if kind in (FULL, LAST):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(b"".join(pieces))
            records.append(record)
    return records


def _finished_records(run_file: Path, timeout_s: float = 30.0) -> list:
    """The records up to the exit record, which W&B's service may flush after the run ends."""
    deadline = time.monotonic() + timeout_s
    while True:
        records = _records(run_file)
        if any(r.WhichOneof("record_type") == "exit" for r in records):
            return records
        if time.monotonic() > deadline:
            pytest.fail(f"{run_file} has no exit record after {timeout_s} s")
        time.sleep(0.2)


def test_offline_run_without_credentials_holds_table_and_scores(tmp_path):
    home = tmp_path / "home"
    env = {key: value for key, value in os.environ.items() if key not in CREDENTIALS}
    env.update(
        WANDB_MODE="offline",
        HOME=str(home),
        WANDB_DIR=str(tmp_path / "wandb"),
        WANDB_CONFIG_DIR=str(home / ".config" / "wandb"),
        WANDB_CACHE_DIR=str(home / ".cache" / "wandb"),
        WANDB_DATA_DIR=str(home / ".local" / "wandb"),
        NETRC=str(home / ".netrc"),
        HYPERPEFT_CACHE_DIR=str(tmp_path / "cache"),
    )
    run_dir = tmp_path / "run"
    # stdin is closed: a login prompt would read EOF and fail the run
    done = run_command(HYPERPEFT, *RUN, f"hydra.run.dir={run_dir}", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    output = done.stdout + done.stderr
    assert "API key" not in output and "wandb login" not in output
    results = json.loads((run_dir / "results.json").read_text())

    run_files = list((run_dir / "wandb").glob("offline-run-*/run-*.wandb"))
    assert len(run_files) == 1, "expected one offline run in the job's folder"
    records = _finished_records(run_files[0])
    summary, history = {}, {}
    for record in records:
        kind = record.WhichOneof("record_type")
        if kind == "summary":
            summary.update(
                {item.key: json.loads(item.value_json) for item in record.summary.update}
            )
        elif kind == "history":
            for item in record.history.item:  # history keys come split on "/" in nested_key
                history[item.key or "/".join(item.nested_key)] = json.loads(item.value_json)

    params = results["params"]
    for key in ("backbone", "trainable", "trainable_pct", "per_task", "per_task_pct"):
        assert summary[key] == pytest.approx(params[key]), key
    assert summary["checkpoint_bytes"] == params["checkpoint_bytes"]
    assert (
        summary["checkpoint_bytes"] == (run_dir / "checkpoint" / "model.safetensors").stat().st_size
    )
    assert summary["score"] == pytest.approx(results["score"])
    assert summary["validation_score"] == pytest.approx(results["validation_score"])
    for metric, value in results["metrics"]["rte"].items():
        assert summary[f"test/rte/{metric}"] == pytest.approx(value), metric
    assert "val/score" in history and "train/loss" in history  # logged while training too

    run = next(r.run for r in records if r.WhichOneof("record_type") == "run")
    assert run.project == "hyperpeft"
    assert {"compacter", "rte", "tiny-bert"} <= set(run.tags)
    config = {item.key: json.loads(item.value_json) for item in run.config.update}
    assert config["method"]["reduction_factor"] == 8 and config["model"]["name"] == "tiny-bert"
    assert not (home / ".netrc").exists()  # nothing logged in on the user's behalf
