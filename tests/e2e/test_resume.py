"""Interrupted, killed and finished runs resumed from their folder alone, through the real command.

Every run here is the same small job (tiny-bert, LoRA, RTE, 200 steps, an evaluation and a
checkpoint every 20). On the CPU the job is deterministic, so a resumed run must end with exactly
the numbers of the run never interrupted: the tests assert equality, not closeness.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch

from tests.helpers.commands import HYPERPEFT, run_command

pytestmark = pytest.mark.e2e

MAX_STEPS = 200
JOB = (
    "model=tiny-bert",
    "method=lora",
    "task=rte",
    f"trainer.max_steps={MAX_STEPS}",
    "trainer.eval_every=20",
    "trainer.batch_size=4",
    "trainer.eval_batch_size=16",
    "data.max_train_examples=64",
    "data.max_eval_examples=8",
)
# what a resumed run must reproduce exactly
SAME = ("metrics", "validation", "score", "validation_score", "best_step", "steps")


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Path:
    """One folder for the module: the token cache every run shares, and the uninterrupted run."""
    return tmp_path_factory.mktemp("resume")


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "HYPERPEFT_CACHE_DIR": str(root / "cache")}


def _hyperpeft(root: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return run_command(HYPERPEFT, *args, cwd=cwd, env={"HYPERPEFT_CACHE_DIR": str(root / "cache")})


@pytest.fixture(scope="module")
def uninterrupted(shared) -> Path:
    """The job run to the end without interruption."""
    run_dir = shared / "uninterrupted"
    done = _hyperpeft(shared, *JOB, f"hydra.run.dir={run_dir}", cwd=shared)
    assert done.returncode == 0, done.stderr[-3000:]
    return run_dir


def _start(root: Path, run_dir: Path) -> subprocess.Popen:
    command = [str(HYPERPEFT), *JOB, f"hydra.run.dir={run_dir}"]
    return subprocess.Popen(
        command,
        cwd=root,
        env=_env(root),
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_checkpoint(process: subprocess.Popen, run_dir: Path) -> None:
    resumable = run_dir / "checkpoint" / "last.ckpt"
    deadline = time.monotonic() + 300
    while not resumable.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert resumable.exists(), "the run ended before its first checkpoint"


def _results(run_dir: Path) -> dict:
    return json.loads((run_dir / "results.json").read_text())


def _rows(run_dir: Path) -> list[dict[str, str]]:
    with (run_dir / "logs" / "metrics.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def _snapshot(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Every file below `folder`: size, modification time and content."""
    return {
        str(path.relative_to(folder)): (
            path.stat().st_size,
            path.stat().st_mtime_ns,
            hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, stderr[-3000:]
    return lines[0]


def _saved_wall_time(checkpoint: Path) -> float:
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    (timer,) = [value for key, value in state["callbacks"].items() if "StepTimer" in key]
    return timer["wall_time_s"]


def test_ctrl_c_then_the_folder_alone_resumes_the_run(shared, tmp_path, cli):
    """Ctrl-C prints the command that resumes; overrides that would change the run are refused
    in one line and write nothing; a harmless one is applied and said; the run goes on in its
    folder (the resuming command runs elsewhere and names no other folder)."""
    run_dir = tmp_path / "interrupted"
    process = _start(shared, run_dir)
    _wait_for_checkpoint(process, run_dir)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 130, stderr[-3000:]
    assert f"continue with hyperpeft trainer.resume={run_dir}" in stderr

    before = _snapshot(run_dir)
    refusals = [
        ("method=full", "method"),
        ("task.tasks=[cb]", "task.tasks"),
        ("seed=7", "seed"),
        ("hardware=ddp-cpu", "hardware"),  # more processes would split the batches otherwise
    ]
    for change, key in refusals:
        refused = cli(f"trainer.resume={run_dir}", change, run_dir=run_dir)
        assert refused.code == 2
        line = _one_error_line(refused.stderr)
        assert line.startswith(f"error: {key}=") and "a resumed run keeps" in line
    assert _snapshot(run_dir) == before

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    resumed = _hyperpeft(
        shared, f"trainer.resume={run_dir}", "trainer.eval_batch_size=8", cwd=elsewhere
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "note: trainer.eval_batch_size=8 (the run had 16)" in resumed.stderr
    assert f"resuming {run_dir.resolve()} from step" in resumed.stderr
    assert _results(run_dir)["steps"] == MAX_STEPS
    assert list(elsewhere.iterdir()) == []  # no outputs/runs/<time>_... of its own


def test_a_run_killed_at_a_random_step_resumes_to_the_uninterrupted_result(
    shared, uninterrupted, tmp_path
):
    """SIGKILL lands at a random step after the first checkpoint; the resumed run restarts from
    the last checkpoint and must end with the uninterrupted run's test and validation metrics,
    best step and logged rows, exactly (CPU, the same operations in the same order)."""
    run_dir = tmp_path / "killed"
    process = _start(shared, run_dir)
    _wait_for_checkpoint(process, run_dir)
    time.sleep(random.uniform(0.0, 0.5))
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=300)
    assert process.returncode == -signal.SIGKILL
    assert not (run_dir / "results.json").exists(), "the kill came after the run had finished"
    earlier_wall_time = _saved_wall_time(run_dir / "checkpoint" / "last.ckpt")

    started = time.monotonic()
    resumed = _hyperpeft(shared, f"trainer.resume={run_dir}", cwd=tmp_path)
    resumed_time = time.monotonic() - started
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "not resumable" not in resumed.stderr  # Lightning's warning: the loader is stateful

    results, whole = _results(run_dir), _results(uninterrupted)
    assert {key: results[key] for key in SAME} == {key: whole[key] for key in SAME}
    assert results["task_proportions"] == whole["task_proportions"]
    assert _rows(run_dir) == _rows(uninterrupted)  # the rows before the kill are kept, once
    # the wall time counts both parts: the first up to its checkpoint, then the whole second
    assert earlier_wall_time < results["wall_time_s"] <= earlier_wall_time + resumed_time


def test_a_finished_run_is_complete_unless_max_steps_is_raised(
    shared, uninterrupted, tmp_path, cli
):
    run_dir = tmp_path / "finished"
    shutil.copytree(uninterrupted, run_dir)
    before = _snapshot(run_dir)
    again = cli(f"trainer.resume={run_dir}", run_dir=run_dir)
    assert again.code == 0, again.stderr[-3000:]
    assert "is complete" in again.stdout and "raise trainer.max_steps" in again.stdout
    assert _snapshot(run_dir) == before

    further = _hyperpeft(
        shared, f"trainer.resume={run_dir}", f"trainer.max_steps={MAX_STEPS + 40}", cwd=tmp_path
    )
    assert further.returncode == 0, further.stderr[-3000:]
    assert (
        f"the run finished at step {MAX_STEPS}; training on to {MAX_STEPS + 40}" in further.stderr
    )
    assert _results(run_dir)["steps"] == MAX_STEPS + 40
    rows = _rows(run_dir)
    earlier = [row for row in _rows(uninterrupted) if int(row["step"]) < MAX_STEPS]
    assert rows[: len(earlier)] == earlier  # the first part's training and validation rows
    assert max(int(row["step"]) for row in rows) == MAX_STEPS + 40


def test_a_damaged_checkpoint_falls_back_to_the_state_before_it(shared, uninterrupted, tmp_path):
    """A truncated last.ckpt: the resume takes previous.ckpt and says so; a damaged
    model.safetensors is written again from the resumable state; the result is the same."""
    run_dir = tmp_path / "damaged"
    shutil.copytree(uninterrupted, run_dir)
    (run_dir / "results.json").unlink()  # not finished: the test split was never written
    last = run_dir / "checkpoint" / "last.ckpt"
    last.write_bytes(last.read_bytes()[:4096])
    (run_dir / "checkpoint" / "model.safetensors").write_bytes(b"not a safetensors file")

    resumed = _hyperpeft(shared, f"trainer.resume={run_dir}", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "last.ckpt is truncated or damaged" in resumed.stderr
    assert "previous.ckpt (step 180)" in resumed.stderr
    assert "model.safetensors was missing or damaged; written again" in resumed.stderr
    results, whole = _results(run_dir), _results(uninterrupted)
    assert {key: results[key] for key in SAME} == {key: whole[key] for key in SAME}


def test_damaged_checkpoints_with_nothing_to_fall_back_to_are_one_line(
    uninterrupted, tmp_path, cli
):
    run_dir = tmp_path / "ruined"
    shutil.copytree(uninterrupted, run_dir)
    (run_dir / "results.json").unlink()
    for name in ("last.ckpt", "previous.ckpt"):
        (run_dir / "checkpoint" / name).write_bytes(b"\x00" * 100)
    before = _snapshot(run_dir)
    outcome = cli(f"trainer.resume={run_dir}", run_dir=run_dir)
    assert outcome.code == 2
    line = _one_error_line(outcome.stderr)
    assert "no usable checkpoint: last.ckpt is truncated or damaged" in line
    assert _snapshot(run_dir) == before

    weights = run_dir / "checkpoint" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:200])
    outcome = cli(*JOB, f"checkpoint={weights}", "trainer.max_steps=0", run_dir=tmp_path / "eval")
    assert outcome.code == 2
    line = _one_error_line(outcome.stderr)
    assert line.startswith(f"error: checkpoint='{weights}': is not a safetensors file")
    assert not (tmp_path / "eval").exists()
