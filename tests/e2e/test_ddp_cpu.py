"""DDP on the CPU (`hardware=ddp-cpu`, gloo) on a two-task mixture: a single run, jobs of a
multirun, and one run over two torchrun "nodes" of this machine.

Ranks run in processes of their own, so only a process-wide hook sees what each trains on: the
tests put a `sitecustomize.py` on PYTHONPATH that records, in every process, the run folder, the
rank, and the task and example indices of every training step. All ranks must walk the same task
sequence, each on its own slice of every global batch, and only rank 0 writes results.json.
- a single run: Lightning starts rank 1 by running the same `hyperpeft` command again (with
  Hydra's run folder pinned);
- under `-m`, that command would be the whole multirun: each job starts its own two ranks with
  torchrun instead, and tears them down before the next job;
- two torchrun nodes of one process each (`hardware.devices=1 hardware.num_nodes=2`, a c10d
  rendezvous on localhost) walk exactly the batches of a single process with the global batch.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from tests.helpers.commands import HYPERPEFT, run_command

pytestmark = pytest.mark.e2e

BATCH = 8
STEPS = 4
MODEL = (
    "model=tiny-bert",
    "method=compacter",
    "method.reduction_factor=8",  # tiny-bert's hidden 64 -> bottleneck 8, which phm_dim 4 divides
    "task=glue",
    "task.tasks=[rte,stsb]",
    f"trainer.max_steps={STEPS}",
    "trainer.eval_every=2",
    "trainer.eval_batch_size=32",
    "data.max_train_examples=64",
    "data.max_eval_examples=32",
)
RUN = ("hardware=ddp-cpu", *MODEL, f"trainer.batch_size={BATCH}")
TRACE_HOOK = '''\
"""Test hook: every process appends (run, rank, step, task, example indices) of its steps."""
import json
import os

from hyperpeft.training.module import MultiTaskModule

_training_step = MultiTaskModule.training_step


def training_step(self, batch, batch_idx):
    entry = {
        "run": str(self.trainer.default_root_dir),
        "rank": self.global_rank,
        "step": self.global_step,
        "task": int(batch["task_index"]),
        "examples": batch["example_index"].tolist(),
    }
    path = os.path.join(os.environ["HYPERPEFT_TEST_TRACE"], f"{os.getpid()}.jsonl")
    with open(path, "a") as handle:
        handle.write(json.dumps(entry) + "\\n")
    return _training_step(self, batch, batch_idx)


MultiTaskModule.training_step = training_step
'''


def _traced_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    hook, trace = tmp_path / "hook", tmp_path / "trace"
    hook.mkdir()
    trace.mkdir()
    (hook / "sitecustomize.py").write_text(TRACE_HOOK)
    env = {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")])),
        "HYPERPEFT_TEST_TRACE": str(trace),
    }
    return env, trace


def _traces(trace: Path) -> dict[str, dict[int, list[dict]]]:
    """run folder -> rank -> its steps in order; each process traced one rank of one run."""
    runs: dict[str, dict[int, list[dict]]] = defaultdict(dict)
    for path in trace.iterdir():
        entries = [json.loads(line) for line in path.read_text().splitlines()]
        (run,), (rank,) = {e["run"] for e in entries}, {e["rank"] for e in entries}
        run = Path(run).resolve().as_posix()
        assert rank not in runs[run], f"two processes traced rank {rank} of {run}"
        runs[run][rank] = entries
    return runs


def _assert_ranks_split_the_same_batches(rank0: list[dict], rank1: list[dict]) -> list[int]:
    """Both ranks: every step, the same task, disjoint halves of one global batch."""
    assert [e["step"] for e in rank0] == [e["step"] for e in rank1] == list(range(STEPS))
    tasks = [e["task"] for e in rank0]
    assert tasks == [e["task"] for e in rank1]
    for mine, theirs in zip(rank0, rank1, strict=True):
        assert len(mine["examples"]) == len(theirs["examples"]) == BATCH
        assert not set(mine["examples"]) & set(theirs["examples"])  # two slices of one batch
    return tasks


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_two_ranks_train_on_the_same_task_sequence(tmp_path):
    env, trace = _traced_env(tmp_path)
    # no hydra.run.dir: rank 1 must find rank 0's timestamped folder through Lightning's relaunch
    done = run_command(HYPERPEFT, *RUN, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr[-3000:]

    written = list(tmp_path.rglob("results.json"))
    assert len(written) == 1, written
    assert written[0].parent.parent == tmp_path / "outputs" / "runs"
    results = json.loads(written[0].read_text())
    assert results["tasks"] == ["rte", "stsb"] and results["steps"] == STEPS

    (ranks,) = _traces(trace).values()
    assert sorted(ranks) == [0, 1]
    tasks = _assert_ranks_split_the_same_batches(ranks[0], ranks[1])
    assert set(tasks) == {0, 1}, "the check means little unless both tasks were drawn"
    shares = {name: tasks.count(i) / STEPS for i, name in enumerate(results["tasks"])}
    assert results["task_proportions"] == pytest.approx(shares)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_ddp_jobs_of_a_multirun_each_start_their_own_ranks(tmp_path):
    """Two DDP jobs, one after another in the multirun's process: each gets two fresh ranks that
    train that job alone (no rank re-runs the multirun), and each writes its own results."""
    env, trace = _traced_env(tmp_path)
    done = run_command(
        HYPERPEFT, "-m", *RUN, "seed=1,2", "hydra.sweep.dir=multirun", cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]

    jobs = sorted(path for path in (tmp_path / "multirun").iterdir() if path.is_dir())
    assert [job.name for job in jobs] == ["0_compacter_glue", "1_compacter_glue"]
    assert not (tmp_path / "outputs").exists()  # no rank ran the command as a single run
    for job, seed in zip(jobs, (1, 2), strict=True):
        results = json.loads((job / "results.json").read_text())
        assert results["seed"] == seed and results["steps"] == STEPS
    runs = _traces(trace)
    assert sorted(runs) == [job.resolve().as_posix() for job in jobs]
    assert len(list(trace.iterdir())) == 4  # four processes: two ranks per job
    for job in jobs:
        ranks = runs[job.resolve().as_posix()]
        tasks = _assert_ranks_split_the_same_batches(ranks[0], ranks[1])
        results = json.loads((job / "results.json").read_text())
        shares = {name: tasks.count(i) / STEPS for i, name in enumerate(results["tasks"])}
        assert results["task_proportions"] == pytest.approx(shares)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_two_torchrun_nodes_walk_the_batches_of_one_process(tmp_path):
    """`torchrun --nnodes=2 --nproc-per-node=1` twice (one per "node"), as on two machines."""
    env, trace = _traced_env(tmp_path)
    run_dir = tmp_path / "two-nodes"
    torchrun = HYPERPEFT.with_name("torchrun")
    rendezvous = (
        "--nnodes=2",
        "--nproc-per-node=1",
        "--rdzv-backend=c10d",
        f"--rdzv-endpoint=127.0.0.1:{_free_port()}",
        "--rdzv-id=hyperpeft-two-nodes",
        "--local-addr=127.0.0.1",
        "--max-restarts=0",
        "--no-python",
    )
    node_args = (
        *RUN,
        "hardware.devices=1",
        "hardware.num_nodes=2",
        f"hydra.run.dir={run_dir}",
    )
    full_env = {"HYPERPEFT_CACHE_DIR": str(tmp_path / "cache"), **os.environ, **env}
    nodes = [
        subprocess.Popen(
            [str(torchrun), *rendezvous, str(HYPERPEFT), *node_args],
            cwd=tmp_path,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for node in nodes:
        _, stderr = node.communicate(timeout=600)
        assert node.returncode == 0, stderr[-3000:]
    written = list(run_dir.rglob("results.json"))
    assert written == [run_dir / "results.json"]
    two_nodes = json.loads(written[0].read_text())

    # the same run in one process, whose batch is the two nodes' global batch
    single_dir = tmp_path / "single"
    done = run_command(
        HYPERPEFT,
        *MODEL,
        "hardware=cpu",
        f"trainer.batch_size={2 * BATCH}",
        f"hydra.run.dir={single_dir}",
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    single = json.loads((single_dir / "results.json").read_text())

    runs = _traces(trace)
    ranks = runs[run_dir.resolve().as_posix()]
    alone = runs[single_dir.resolve().as_posix()][0]
    tasks = _assert_ranks_split_the_same_batches(ranks[0], ranks[1])
    assert tasks == [e["task"] for e in alone]
    assert set(tasks) == {0, 1}, "the check means little unless both tasks were drawn"
    for step, whole in enumerate(alone):
        assert ranks[0][step]["examples"] + ranks[1][step]["examples"] == whole["examples"]
    assert two_nodes["steps"] == single["steps"] == STEPS
    assert two_nodes["task_proportions"] == single["task_proportions"]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_slurm_tasks_running_a_multirun_job_are_its_ranks(tmp_path):
    """What submitit_slurm with `tasks_per_node=2` (or `srun --ntasks=2 hyperpeft -m ...`) runs:
    two SLURM tasks of the same job. Lightning's SLURM environment connects them as the job's two
    ranks; neither starts ranks of its own, and rank 0 alone writes results.json."""
    env, trace = _traced_env(tmp_path)
    slurm = {
        "SLURM_JOB_ID": "4242",
        "SLURM_JOB_NAME": "hyperpeft",
        "SLURM_NTASKS": "2",
        "SLURM_NTASKS_PER_NODE": "2",
        "SLURM_NNODES": "1",
        "SLURM_NODEID": "0",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(_free_port()),
    }
    full_env = {"HYPERPEFT_CACHE_DIR": str(tmp_path / "cache"), **os.environ, **env, **slurm}
    tasks = [
        subprocess.Popen(
            [str(HYPERPEFT), "-m", *RUN, "seed=3", "hydra.sweep.dir=multirun"],
            cwd=tmp_path,
            env={**full_env, "SLURM_PROCID": str(rank), "SLURM_LOCALID": str(rank)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in range(2)
    ]
    for task in tasks:
        _, stderr = task.communicate(timeout=600)
        assert task.returncode == 0, stderr[-3000:]
    (job,) = [path for path in (tmp_path / "multirun").iterdir() if path.is_dir()]
    assert list(job.rglob("results.json")) == [job / "results.json"]
    assert len(list(trace.iterdir())) == 2  # the two tasks, no process started by either
    ranks = _traces(trace)[job.resolve().as_posix()]
    _assert_ranks_split_the_same_batches(ranks[0], ranks[1])
