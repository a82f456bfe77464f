"""W&B: offline without credentials, never a prompt, and the parameter table in the run summary."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from hyperpeft.errors import ConfigError
from hyperpeft.results import RunResult
from hyperpeft.sweeps import TrialRef
from hyperpeft.tracking.weights_and_biases import (
    RUN_ID_FILE,
    log_run_summary,
    resolve_mode,
    run_identity,
    run_summary,
)
from hyperpeft.training.trainer import build_logger

RESULTS = {
    "method": "compacter",
    "model": "tiny-bert",
    "tasks": ["rte", "mrpc"],
    "seed": 1,
    "score": 0.61,
    "validation_score": 0.63,
    "metrics": {"rte": {"accuracy": 0.6, "score": 0.6}, "mrpc": {"f1": 0.7, "score": 0.62}},
    "validation": {"rte": {"accuracy": 0.64, "score": 0.64}},
    "params": {
        "backbone": 22713216,
        "trainable": 31234,
        "trainable_pct": 0.1375,
        "per_task": 15617,
        "per_task_pct": 0.06875,
        "checkpoint_bytes": 130000,
    },
    "step_time_s": 0.11,
    "peak_memory_mb": 812.0,
    "wall_time_s": 64.2,
    "steps": 300,
    "task_proportions": {"rte": 0.4, "mrpc": 0.6},
    "dry_run": False,
}
RESULT = RunResult.from_json(RESULTS)


def config(**logger) -> OmegaConf:
    base = {
        "name": "wandb",
        "_target_": "hyperpeft.tracking.weights_and_biases.wandb_logger",
        "project": "hp-test",
        "entity": None,
        "group": None,
        "tags": [],
    }
    return OmegaConf.create(
        {
            "seed": 1,
            "method": {"name": "compacter", "phm_dim": 4},
            "model": {"name": "tiny-bert"},
            "task": {"name": "glue", "tasks": ["rte", "mrpc"]},
            "logger": {**base, "mode": None, **logger},
        }
    )


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch, tmp_path):
    """A machine where nobody ran `wandb login` and no key is set."""
    for name in ("WANDB_API_KEY", "WANDB_IDENTITY_TOKEN_FILE", "WANDB_MODE", "WANDB_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(tmp_path / "home" / ".config" / "wandb"))
    monkeypatch.setenv("NETRC", str(tmp_path / "home" / ".netrc"))


def test_mode_follows_credentials(monkeypatch, tmp_path):
    assert resolve_mode(None) == "offline"
    netrc = Path(tmp_path / "home" / ".netrc")
    netrc.parent.mkdir(parents=True)
    netrc.write_text("machine api.wandb.ai\n  login user\n  password abc\n")
    assert resolve_mode(None) == "online"
    netrc.unlink()
    monkeypatch.setenv("WANDB_API_KEY", "k" * 40)
    assert resolve_mode(None) == "online"


def test_explicit_modes_and_errors(monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert resolve_mode(None) == "disabled"
    assert resolve_mode("offline") == "offline"
    with pytest.raises(ConfigError, match=r"logger\.mode='online'"):
        resolve_mode("online")  # would prompt for a login: refused instead
    with pytest.raises(ConfigError, match="logger.mode"):
        resolve_mode("cloud")


def test_summary_flattens_results():
    summary = run_summary(RESULT)
    assert summary["score"] == 0.61 and summary["validation_score"] == 0.63
    assert summary["test/mrpc/f1"] == 0.7 and summary["best_val/rte/accuracy"] == 0.64
    assert summary["trainable_pct"] == 0.1375 and summary["per_task_pct"] == 0.06875
    assert summary["checkpoint_bytes"] == 130000 and summary["step_time_s"] == 0.11
    assert summary["tasks"] == "rte,mrpc" and summary["task_proportion/mrpc"] == 0.6


def test_sweep_trials_are_grouped_by_study_and_named_by_trial():
    from hyperpeft.tracking.weights_and_biases import run_group

    cfg = config()
    ref = TrialRef("sqlite:////tmp/x.db", "compacter_rank", 3)
    OmegaConf.update(
        cfg,
        "optuna",
        {"study_name": ref.study_name, "storage": ref.storage, "trial_number": 3},
        force_add=True,
    )
    assert run_group(cfg) == "compacter_rank"
    identity = run_identity(cfg)
    assert identity["name"] == "compacter_glue_tiny-bert_seed1_trial3"
    assert identity["tags"] == ["compacter", "rte", "mrpc", "tiny-bert"]
    assert run_group(config()) is None  # a single run outside Hydra's multirun


def read_records(run_file: Path) -> list:
    """Records of an offline run file (W&B's leveldb-style log of protobuf records)."""
    from wandb.proto import wandb_internal_pb2

    data = run_file.read_bytes()
    block, position, pending, records = 32768, 7, b"", []  # 7: the ":W&B" file header
    while position + 7 <= len(data):
        if block - position % block < 7:
            position += block - position % block
            continue
        _, length, kind = struct.unpack("<IHB", data[position : position + 7])
        if length == 0 and kind == 0:
            position += block - position % block
            continue
        payload = data[position + 7 : position + 7 + length]
        position += 7 + length
        pending += payload
        if kind in (1, 4):  # a full record, or the last piece of one
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            records.append(record)
            pending = b""
        elif kind == 2:
            pending = payload
    return records


def read_finished_run(run_file: Path, timeout_s: float = 30.0) -> list:
    """The run's records once W&B's service has flushed them up to the exit record."""
    deadline = time.monotonic() + timeout_s
    while True:
        records = read_records(run_file)
        done = any(record.WhichOneof("record_type") == "exit" for record in records)
        if done or time.monotonic() > deadline:
            return records
        time.sleep(0.2)


@pytest.mark.timeout(120)
def test_offline_run_holds_the_parameter_table(tmp_path):
    import wandb

    cfg = config(tags=["nightly"], group="sweep-42")
    logger = build_logger(cfg, tmp_path / "run")  # from the `_target_`, as a run builds it
    logger.log_metrics({"val/score": 0.5}, step=10)
    log_run_summary(logger, RESULT)
    assert wandb.run is None  # finished: the next job of a multirun starts its own run

    run_files = list((tmp_path / "run" / "wandb").glob("offline-run-*/run-*.wandb"))
    assert len(run_files) == 1
    records = read_finished_run(run_files[0])
    summary = {}
    for record in records:
        if record.WhichOneof("record_type") == "summary":
            summary.update({i.key: json.loads(i.value_json) for i in record.summary.update})
    for key in ("trainable", "trainable_pct", "per_task_pct", "checkpoint_bytes"):
        assert summary[key] == RESULTS["params"][key]
    assert summary["score"] == 0.61 and summary["test/rte/accuracy"] == 0.6
    run = next(r.run for r in records if r.WhichOneof("record_type") == "run")
    assert run.project == "hp-test" and run.run_group == "sweep-42"
    assert set(run.tags) == {"compacter", "rte", "mrpc", "tiny-bert", "nightly"}
    config_items = {item.key: json.loads(item.value_json) for item in run.config.update}
    assert config_items["method"]["phm_dim"] == 4


@pytest.mark.timeout(180)
def test_a_resumed_run_continues_its_wandb_run(tmp_path):
    """Each start of one run folder opens the same W&B run id; another folder, another id."""
    ids = []
    for folder in ("run", "run", "other"):
        logger = build_logger(config(), tmp_path / folder)
        logger.log_metrics({"train/loss": 1.0}, step=len(ids))
        ids.append(logger.experiment.id)
        log_run_summary(logger, RESULT)
    assert ids[0] == ids[1] != ids[2]
    assert (tmp_path / "run" / RUN_ID_FILE).read_text().strip() == ids[0]
    parts = sorted((tmp_path / "run" / "wandb").glob("offline-run-*"))
    assert len(parts) == 2 and all(f"-{ids[0]}" in part.name for part in parts)
