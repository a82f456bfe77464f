"""`hardware.threads`: the run's process (and what it starts) uses that many CPU threads."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CHECK = (
    "import os, torch; from hyperpeft.training.threads import use_threads; "
    "torch.set_num_threads(2); use_threads({threads}); "
    "print(torch.get_num_threads(), os.environ.get('OMP_NUM_THREADS'))"
)


@pytest.mark.parametrize(("threads", "expected"), [(1, "1 1"), (0, "2 None")])
def test_threads_are_set_for_the_process_and_its_children_and_0_leaves_them(threads, expected):
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    done = subprocess.run(
        [sys.executable, "-c", CHECK.format(threads=threads)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert done.stdout.strip() == expected


@pytest.mark.e2e
def test_a_run_with_one_thread_trains_in_one_thread(inprocess, monkeypatch):
    import torch

    before = torch.get_num_threads()
    # restored after the test, as the thread count is: the run sets both for this process
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", str(before)))
    try:
        finished = inprocess(
            "model=tiny-bert",
            "method=adapter",
            "method.reduction_factor=8",
            "task=glue",
            "task.tasks=[rte]",
            "hardware.threads=1",
            "trainer.max_steps=2",
            "trainer.eval_every=2",
            "data.max_train_examples=16",
            "data.max_eval_examples=8",
            "logger=none",
        )
        assert finished.result.score is not None
        assert torch.get_num_threads() == 1
        assert finished.result.config["hardware"]["threads"] == 1
    finally:
        torch.set_num_threads(before)
