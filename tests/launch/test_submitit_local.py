"""Jobs of -m in processes of their own through submitit's local executor
(`hydra/launcher=local`, the preset of conf/hydra/launcher/local.yaml).

A plain multirun of four tiny jobs, two at a time (`hydra.sweeper.max_batch_size=2`): each job
writes its results.json in its own folder from its own process, and the two jobs of a batch are
started together, before the next batch. Times come from the files written: submitit's
`<pid>_submitted.pkl` as it starts a job's process, Hydra's `.hydra/hydra.yaml` when the job
starts (before it imports the training libraries) and results.json when it ends.
"""

from __future__ import annotations

import json

import pytest

from tests.helpers.commands import FAST, HYPERPEFT, run_command

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

SEEDS = (1, 2, 3, 4)


def _span(job_dir) -> tuple[float, float]:
    return (job_dir / ".hydra" / "hydra.yaml").stat().st_mtime, (
        job_dir / "results.json"
    ).stat().st_mtime


def test_a_multirun_runs_two_jobs_at_a_time_each_in_its_own_process(tmp_path):
    done = run_command(
        HYPERPEFT,
        "-m",
        "hydra/launcher=local",
        "hydra.sweeper.max_batch_size=2",
        "hydra.sweep.dir=multirun",
        "model=tiny-bert",
        "method=adapter",
        "task=rte",
        *FAST,
        f"seed={','.join(map(str, SEEDS))}",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    jobs = sorted((tmp_path / "multirun").glob("*_adapter_rte"))
    assert [job.name for job in jobs] == [f"{i}_adapter_rte" for i in range(len(SEEDS))]
    for job, seed in zip(jobs, SEEDS, strict=True):
        results = json.loads((job / "results.json").read_text())
        assert results["seed"] == seed and results["steps"] == 6
    # one submitit job (a process of its own, named by its pid) per Hydra job
    pids = [p.name for p in (tmp_path / "multirun" / ".submitit").iterdir() if p.name.isdigit()]
    assert len(pids) == len(SEEDS)

    # A batch is submitted together: both of its processes are started before either job ends
    # (the submission files are written as each process starts). Whether the two then overlap
    # in time depends on how busy the machine is, so it is not asserted.
    submitted = sorted(
        path.stat().st_mtime
        for path in (tmp_path / "multirun" / ".submitit").glob("*/*_submitted.pkl")
    )
    assert len(submitted) == len(SEEDS)
    spans = [_span(job) for job in jobs]
    assert submitted[1] < min(end for _, end in spans[:2])  # a batch: started together
    assert max(end for _, end in spans[:2]) <= min(start for start, _ in spans[2:])  # then the next
    assert max(end for _, end in spans[:2]) <= submitted[2]
