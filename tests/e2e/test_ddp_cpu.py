"""`hyperpeft hardware=ddp-cpu`: two CPU processes over gloo, under Hydra, on a two-task mixture.

Lightning starts rank 1 by running the same `hyperpeft` command again (with Hydra's run folder
pinned), so only a process-wide hook sees what each rank trains on: the test puts a
`sitecustomize.py` on PYTHONPATH that records, in both processes, the task and the example indices
of every training step. Both ranks must walk the same task sequence, each on its own slice of
every global batch, and only rank 0 writes results.json. Under `-m` the command Lightning repeats
is the whole multirun, which the last test pins down.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.helpers.commands import HYPERPEFT, run_command

pytestmark = pytest.mark.e2e

BATCH = 8
STEPS = 4
RUN = (
    "hardware=ddp-cpu",
    "model=tiny-bert",
    "method=compacter",
    "method.reduction_factor=8",  # tiny-bert's hidden 64 -> bottleneck 8, which phm_dim 4 divides
    "task=glue",
    "task.tasks=[rte,stsb]",
    f"trainer.max_steps={STEPS}",
    "trainer.eval_every=2",
    f"trainer.batch_size={BATCH}",
    "trainer.eval_batch_size=32",
    "data.max_train_examples=64",
    "data.max_eval_examples=32",
)
TRACE_HOOK = '''\
"""Test hook: every process appends (step, task, example indices) of its training steps."""
import json
import os

from hyperpeft.training.module import MultiTaskModule

_training_step = MultiTaskModule.training_step


def training_step(self, batch, batch_idx):
    entry = {
        "step": self.global_step,
        "task": int(batch["task_index"]),
        "examples": batch["example_index"].tolist(),
    }
    path = os.path.join(os.environ["HYPERPEFT_TEST_TRACE"], f"rank{self.global_rank}.jsonl")
    with open(path, "a") as handle:
        handle.write(json.dumps(entry) + "\\n")
    return _training_step(self, batch, batch_idx)


MultiTaskModule.training_step = training_step
'''


def _trace(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_two_ranks_train_on_the_same_task_sequence(tmp_path):
    hook, trace = tmp_path / "hook", tmp_path / "trace"
    hook.mkdir()
    trace.mkdir()
    (hook / "sitecustomize.py").write_text(TRACE_HOOK)
    env = {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")])),
        "HYPERPEFT_TEST_TRACE": str(trace),
    }
    # no hydra.run.dir: rank 1 must find rank 0's timestamped folder through Lightning's relaunch
    done = run_command(HYPERPEFT, *RUN, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr[-3000:]

    written = list(tmp_path.rglob("results.json"))
    assert len(written) == 1, written
    assert written[0].parent.parent == tmp_path / "outputs" / "runs"
    results = json.loads(written[0].read_text())
    assert results["tasks"] == ["rte", "stsb"] and results["steps"] == STEPS

    assert sorted(p.name for p in trace.iterdir()) == ["rank0.jsonl", "rank1.jsonl"]
    rank0, rank1 = _trace(trace / "rank0.jsonl"), _trace(trace / "rank1.jsonl")
    assert [e["step"] for e in rank0] == [e["step"] for e in rank1] == list(range(STEPS))
    tasks = [e["task"] for e in rank0]
    assert tasks == [e["task"] for e in rank1]
    assert set(tasks) == {0, 1}, "the check means little unless both tasks were drawn"
    for mine, theirs in zip(rank0, rank1, strict=True):
        assert len(mine["examples"]) == len(theirs["examples"]) == BATCH
        assert not set(mine["examples"]) & set(theirs["examples"])  # two slices of one batch
    shares = {name: tasks.count(i) / STEPS for i, name in enumerate(results["tasks"])}
    assert results["task_proportions"] == pytest.approx(shares)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_ddp_inside_a_multirun_is_refused_with_one_line(tmp_path):
    """Lightning would relaunch the whole multirun as rank 1; the job is refused instead."""
    single_task = [o for o in RUN if not o.startswith("task")] + ["task=rte", "seed=7"]
    done = run_command(HYPERPEFT, "-m", *single_task, cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-3000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and errors[0].startswith("error: hardware='ddp-cpu': DDP inside -m")
    assert len(list((tmp_path / "outputs" / "multirun").iterdir())) == 1
