"""Two runs started at the same moment into one outputs root, sharing the token cache."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from hyperpeft.config import compose_config
from hyperpeft.training.checkpoints import read_metadata
from tests.helpers.commands import FAST, HYPERPEFT

pytestmark = pytest.mark.e2e

RATES = (1e-3, 2e-3)  # what tells the two runs apart; the data, and so the cache entry, is shared


def test_the_run_folder_is_claimed_rather_than_named_by_the_second():
    """Hydra names the folder by the time to the second: runs of one method and task started
    in the same second would share it without the claim."""
    hydra = compose_config(return_hydra_config=True).hydra
    pattern = OmegaConf.to_container(hydra.run, resolve=False)["dir"]
    assert pattern.startswith("${hyperpeft.run_folder:outputs/runs/${now:")


def test_two_runs_started_together_both_finish_and_keep_their_own_files(tmp_path):
    # the same folder name for both, for certain: the claim must give the second one its own
    folder = "hydra.run.dir=${hyperpeft.run_folder:outputs/runs/together}"
    env = {**os.environ, "HYPERPEFT_CACHE_DIR": str(tmp_path / "cache")}
    common = ["model=tiny-bert", "method=lora", "task=rte", *FAST, folder]
    processes = [
        subprocess.Popen(
            [str(HYPERPEFT), *common, f"trainer.learning_rate={rate}"],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rate in RATES
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr[-3000:]

    runs = sorted((tmp_path / "outputs" / "runs").iterdir())
    assert [run.name for run in runs] == ["together", "together-2"]
    rates = []
    for run in runs:
        config = OmegaConf.load(run / "config.yaml")
        results = json.loads((run / "results.json").read_text())
        weights = read_metadata(run / "checkpoint" / "model.safetensors")
        overrides = OmegaConf.load(run / ".hydra" / "overrides.yaml")
        rate = config.trainer.learning_rate
        assert results["config"]["trainer"]["learning_rate"] == rate
        assert weights["config"]["trainer"]["learning_rate"] == rate
        assert f"trainer.learning_rate={rate}" in overrides
        assert (run / "checkpoint" / "last.ckpt").is_file()
        rates.append(rate)
    assert sorted(rates) == list(RATES)
    cache = list((tmp_path / "cache").iterdir())
    assert cache and not [path for path in cache if path.name.endswith(".tmp")]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads open files from /proc")
def test_every_file_of_the_run_folder_is_flushed_to_disk_before_its_rename(inprocess, monkeypatch):
    """Every checkpoint (Lightning's last.ckpt too), the results and the config land by a rename
    of a temporary file that was fsynced first: a power cut leaves the old file or the new one."""
    flushed: set[str] = set()
    renamed: dict[str, str] = {}
    fsync, replace = os.fsync, os.replace

    def recording_fsync(fd: int) -> None:
        flushed.add(os.readlink(f"/proc/self/fd/{fd}"))
        fsync(fd)

    def recording_replace(source, target) -> None:
        renamed[str(Path(target).resolve())] = str(Path(source).resolve())
        replace(source, target)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    monkeypatch.setattr(os, "replace", recording_replace)
    run = inprocess("model=tiny-bert", "method=lora", "task=rte", *FAST)
    written = [
        run.run_dir / "config.yaml",
        run.run_dir / "results.json",
        *sorted((run.run_dir / "checkpoint").iterdir()),
    ]
    assert {path.name for path in written} >= {"last.ckpt", "previous.ckpt", "model.safetensors"}
    for path in written:
        target = str(path.resolve())
        if path.name == "previous.ckpt":  # the last.ckpt it replaced, renamed whole
            assert target in renamed and renamed[target].endswith("last.ckpt")
            continue
        assert target in renamed, f"{path.name} was not written by a rename"
        assert renamed[target] in flushed, f"{path.name} was renamed before it was flushed"
