"""What lets a job of -m run in another process, and what it leaves behind in its own.

Jobs on submitit, on Ray or in DDP ranks send their outcome back pickled, so the exceptions a
sweep records must survive a round trip; a process that runs several jobs must start each one
without the last one's process group and distributed environment; and a job decides by its
hardware and its environment whether it has to start ranks of its own.
"""

from __future__ import annotations

import os
import pickle
import socket

import pytest
import torch.distributed as dist
from omegaconf import OmegaConf

from hydra_plugins.hyperpeft_optuna_sweeper._crashes import job_died
from hyperpeft.errors import ConfigError
from hyperpeft.launch import isolated_job, ranks_to_start
from hyperpeft.launch.slurm import ranks_per_node
from hyperpeft.training.module import RunInterrupted

# what an external launcher sets; none may leak into the environment these tests look at
LAUNCHER_VARIABLES = ("LOCAL_RANK", "RANK", "GROUP_RANK", "LOCAL_WORLD_SIZE", "SLURM_NTASKS")


@pytest.fixture
def no_launcher(monkeypatch):
    for name in LAUNCHER_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_the_errors_a_sweep_records_survive_pickling(tmp_path):
    error = pickle.loads(pickle.dumps(ConfigError("method.phm_dim", 5, "a divisor of 64")))
    assert isinstance(error, ConfigError)
    assert (error.key, error.value, error.allowed) == ("method.phm_dim", 5, "a divisor of 64")
    assert str(error) == "method.phm_dim=5: a divisor of 64"
    stopped = pickle.loads(pickle.dumps(RunInterrupted(tmp_path, 7)))
    assert isinstance(stopped, RunInterrupted) and stopped.step == 7
    assert str(stopped) == str(RunInterrupted(tmp_path, 7))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_job_leaves_no_process_group_and_no_environment_behind(monkeypatch):
    monkeypatch.setenv("HYPERPEFT_TEST_KEPT", "before")
    monkeypatch.delenv("MASTER_PORT", raising=False)
    with isolated_job():
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(_free_port()))
        os.environ["HYPERPEFT_TEST_KEPT"] = "changed by the job"
        dist.init_process_group("gloo", rank=0, world_size=1)
        assert dist.is_initialized()
    assert not dist.is_initialized()
    assert "MASTER_PORT" not in os.environ
    assert os.environ["HYPERPEFT_TEST_KEPT"] == "before"


def test_the_environment_is_restored_when_a_job_fails(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    with pytest.raises(RuntimeError), isolated_job():
        os.environ["WORLD_SIZE"] = "2"
        raise RuntimeError("the job failed")
    assert "WORLD_SIZE" not in os.environ


def _hardware(**values):
    base = {"accelerator": "cpu", "devices": 1, "num_nodes": 1, "strategy": "auto"}
    return OmegaConf.create({**base, **values})


def test_a_multi_process_job_starts_its_ranks_here(no_launcher):
    assert ranks_to_start(_hardware()) is None
    assert ranks_to_start(_hardware(devices=2, strategy="ddp")) == "2"
    assert ranks_to_start(_hardware(accelerator="gpu", devices=-1, strategy="ddp")) == "gpu"


def test_ranks_that_already_exist_are_not_started_again(no_launcher, monkeypatch):
    ddp = _hardware(devices=2, strategy="ddp")
    monkeypatch.setenv("LOCAL_RANK", "0")  # Lightning's sign that processes come from outside
    assert ranks_to_start(ddp) is None
    monkeypatch.delenv("LOCAL_RANK")
    monkeypatch.setenv("SLURM_NTASKS", "2")  # a SLURM task (submitit_slurm, srun)
    monkeypatch.setenv("SLURM_JOB_NAME", "hyperpeft")
    assert ranks_to_start(ddp) is None
    assert ranks_to_start(_hardware(devices=1, num_nodes=2, strategy="ddp")) is None


def test_several_nodes_under_multirun_need_a_cluster_launcher(no_launcher):
    with pytest.raises(ConfigError) as refused:
        ranks_to_start(_hardware(num_nodes=2, strategy="ddp"))
    assert str(refused.value).startswith("hardware.num_nodes=2: 1 for a job of -m")
    with pytest.raises(ConfigError, match="hardware.devices=-1"):
        ranks_to_start(_hardware(devices=-1, strategy="ddp"))


def test_the_local_launcher_runs_one_task_per_job(monkeypatch):
    from hyperpeft.launch.ranks import refuse_local_tasks

    monkeypatch.setenv("SUBMITIT_EXECUTOR", "local")
    monkeypatch.setenv("SUBMITIT_LOCAL_NTASKS", "1")
    refuse_local_tasks()
    monkeypatch.setenv("SUBMITIT_LOCAL_NTASKS", "2")
    with pytest.raises(ConfigError, match=r"^hydra.launcher.tasks_per_node=2: 1 with the local"):
        refuse_local_tasks()


def test_slurm_runs_one_task_per_rank():
    assert ranks_per_node(1, 1) == 1
    assert ranks_per_node(2, None) == 2  # hardware=ddp-cpu
    assert ranks_per_node(-1, 4) == 4  # hardware=multi-gpu: every GPU asked for


def test_only_a_job_that_died_lets_the_sweep_go_on():
    from submitit.core.utils import FailedJobError, FailedSubmissionError, UncompletedJobError

    assert job_died(UncompletedJobError("job 12 has not produced any output"))
    assert job_died(FailedJobError("job 12 failed"))
    assert not job_died(FailedSubmissionError("sbatch: command not found"))
    assert not job_died(KeyboardInterrupt())
    assert not job_died(ConfigError("x", 1, "a test"))


@pytest.mark.parametrize(
    ("overrides", "tasks", "nodes"),
    [
        (["hardware=cpu"], 1, 1),
        (["hardware=ddp-cpu"], 2, 1),
        (["hardware=multi-gpu", "hydra.launcher.gpus_per_node=4"], 4, 1),
        (["hardware=multi-gpu", "hardware.num_nodes=3"], 1, 3),
    ],
)
def test_the_slurm_preset_asks_one_task_per_rank(overrides, tasks, nodes):
    from hydra import compose, initialize_config_dir

    from hyperpeft.config import config_dir, register_configs

    register_configs()
    with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
        cfg = compose(
            "config", overrides=["hydra/launcher=slurm", *overrides], return_hydra_config=True
        )
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher")
    assert (launcher.tasks_per_node, launcher.nodes) == (tasks, nodes)
    assert launcher.partition is None and launcher.timeout_min == 240


def test_the_local_preset_runs_one_process_per_job():
    from hydra import compose, initialize_config_dir

    from hyperpeft.config import config_dir, register_configs

    register_configs()
    with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
        cfg = compose("config", overrides=["hydra/launcher=local"], return_hydra_config=True)
    assert cfg.hydra.launcher._target_.endswith("LocalLauncher")
    assert cfg.hydra.launcher.tasks_per_node == 1


class _Unpicklable(Exception):
    def __init__(self, key, value):  # unpickling calls it with `args`: the message alone
        super().__init__(f"{key}={value}")


def test_the_ranks_outcome_comes_back_as_the_job_would_have_raised_it(tmp_path):
    import time

    import optuna

    from hyperpeft.launch.ranks import read_outcome, write_error, write_result
    from hyperpeft.results import RunResult

    result = RunResult(method="adapter", model="tiny-bert", tasks=("rte",), seed=1, score=0.5)
    write_result(tmp_path, result)
    assert read_outcome(tmp_path, 0) == result

    failed = tmp_path / "failed"
    failed.mkdir()
    with pytest.raises(RuntimeError, match="without a result .torchrun exit status 1"):
        read_outcome(failed, 1)
    write_error(failed, 1, optuna.TrialPruned("trial 3 pruned at step 2"))  # the cause
    time.sleep(0.01)
    write_error(failed, 0, RunInterrupted(failed, 2))  # stopped by torchrun afterwards
    with pytest.raises(optuna.TrialPruned, match="trial 3 pruned"):
        read_outcome(failed, 1)

    odd = tmp_path / "odd"
    odd.mkdir()
    write_error(odd, 0, _Unpicklable("x", 1))
    with pytest.raises(RuntimeError, match="^_Unpicklable: x=1$"):
        read_outcome(odd, 1)
