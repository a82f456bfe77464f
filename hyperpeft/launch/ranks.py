"""A multi-process job's ranks, started by torchrun on this machine, each running this one job.

The job's process hands its composed config to the ranks through a folder of pickles (the
config keeps its schema types, and the Hydra config rides along so that `${hydra:...}` and the
multirun's W&B group resolve as in the job), waits for torchrun, and returns rank 0's
`RunResult`, or raises the exception that stopped the ranks (optuna.TrialPruned, ConfigError), so
the launcher and the sweeper see the job exactly as if it had run in one process. torchrun's
`--standalone` rendezvous takes a free port per job, so parallel jobs on one machine never meet;
the ranks' process group lives and dies with their processes.
"""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperpeft.errors import ConfigError

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from hyperpeft.results import RunResult

JOB_FILE = "job.pickle"
RESULT_FILE = "result.pickle"
ERROR_FILE = "error-rank{rank}.pickle"
# After Ctrl-C or SIGTERM, how long torchrun may take to stop the ranks (they save their state).
STOP_GRACE_S = 120


def started_as_rank() -> bool:
    """Whether this process is already one rank that something else started: a SLURM task
    (srun, submitit_slurm), a torchrun worker, an LSF job or a process given LOCAL_RANK; the
    environments Lightning itself connects, in its own order."""
    from pytorch_lightning.plugins.environments import (
        LightningEnvironment,
        LSFEnvironment,
        SLURMEnvironment,
        TorchElasticEnvironment,
    )

    external = (TorchElasticEnvironment, SLURMEnvironment, LSFEnvironment)
    return (
        any(env.detect() for env in external) or LightningEnvironment().creates_processes_externally
    )


def refuse_local_tasks() -> None:
    """submitit's local executor with `tasks_per_node` > 1 runs the same job that many times
    with nothing that makes them ranks of one another; a job's ranks come from its hardware."""
    tasks = int(os.environ.get("SUBMITIT_LOCAL_NTASKS", "1"))
    if os.environ.get("SUBMITIT_EXECUTOR") == "local" and tasks > 1:
        raise ConfigError(
            "hydra.launcher.tasks_per_node",
            tasks,
            "1 with the local launcher: a job that needs several processes starts them "
            "itself (hardware.devices)",
        )


def ranks_to_start(hardware: Any) -> str | None:
    """torchrun's `--nproc-per-node` for a job that needs processes that do not exist yet;
    None when this process is the whole job, or one of ranks that already exist."""
    devices, nodes = int(hardware.devices), int(hardware.num_nodes)
    if devices == 1 and nodes == 1:
        return None
    if started_as_rank():
        return None
    if nodes > 1:
        raise ConfigError(
            "hardware.num_nodes",
            nodes,
            "1 for a job of -m started on this machine; several nodes take a cluster launcher "
            "(hydra/launcher=slurm hydra.launcher.nodes=N) or torchrun on each node without -m",
        )
    if devices == -1:
        if hardware.accelerator != "gpu":
            raise ConfigError("hardware.devices", devices, "a number of processes on the CPU")
        return "gpu"  # torchrun: one rank per visible GPU
    return str(devices)


def run_in_own_ranks(cfg: DictConfig, run_dir: Path) -> RunResult:
    """Start the job's ranks with torchrun, wait, and return what rank 0's run returned."""
    from hyperpeft.config import validate_config

    validate_config(cfg)  # bad input fails here, before any process starts
    nproc = ranks_to_start(cfg.hardware)
    assert nproc is not None
    handoff = Path(tempfile.mkdtemp(prefix="hyperpeft-ranks-"))
    try:
        write_job(handoff, cfg, run_dir)
        process = subprocess.Popen(torchrun_command(nproc, handoff))
        try:
            code = wait_for(process)
        except BaseException:
            _raise_if_interrupted_in_training(handoff)
            raise
        return read_outcome(handoff, code)
    finally:
        shutil.rmtree(handoff, ignore_errors=True)


def torchrun_command(nproc: str, handoff: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "hyperpeft.launch.agent",  # torchrun, reporting a failed rank in one line
        "--standalone",  # one node, a rendezvous on a free localhost port
        f"--nproc-per-node={nproc}",
        "--max-restarts=0",  # a failed rank fails the job; torchrun stops the others
        "-m",
        "hyperpeft.launch.rank",
        str(handoff),
    ]


def write_job(handoff: Path, cfg: DictConfig, run_dir: Path) -> None:
    from hydra.core.hydra_config import HydraConfig

    hydra_root = HydraConfig.instance().cfg if HydraConfig.initialized() else None
    payload = {"cfg": cfg, "hydra": hydra_root, "run_dir": str(Path(run_dir).absolute())}
    (handoff / JOB_FILE).write_bytes(pickle.dumps(payload))


def read_job(handoff: Path) -> dict[str, Any]:
    return pickle.loads((handoff / JOB_FILE).read_bytes())


def wait_for(process: subprocess.Popen) -> int:
    """torchrun's exit status; SIGTERM sent to this process reaches it (it stops its ranks), and
    so does Ctrl-C when only this process got it."""

    def forward(signum: int, _frame: Any) -> None:
        process.send_signal(signum)

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, forward) if in_main_thread else None
    try:
        return process.wait()
    except BaseException:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        raise
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def read_outcome(handoff: Path, code: int) -> RunResult:
    """Rank 0's result, or the exception that stopped the ranks; a crash without either is a
    RuntimeError."""
    result = handoff / RESULT_FILE
    if code == 0 and result.exists():
        return pickle.loads(result.read_bytes())
    error = first_error(handoff)
    if error is not None:
        raise error
    raise RuntimeError(f"the job's ranks stopped without a result (torchrun exit status {code})")


def first_error(handoff: Path) -> BaseException | None:
    """The exception written first: the cause. torchrun stops the other ranks once one fails,
    and what they raise then (a RunInterrupted, say) is only the consequence."""
    errors = sorted(handoff.glob(ERROR_FILE.format(rank="*")), key=_written_first)
    return pickle.loads(errors[0].read_bytes()) if errors else None


def _raise_if_interrupted_in_training(handoff: Path) -> None:
    """After Ctrl-C or SIGTERM: the ranks' own account (the state saved at step N) when they
    had started training, rather than a bare KeyboardInterrupt."""
    from hyperpeft.training.module import RunInterrupted

    error = first_error(handoff)
    if isinstance(error, RunInterrupted):
        raise error from None


def _written_first(path: Path) -> tuple[int, int]:
    return path.stat().st_mtime_ns, int(path.stem.rpartition("rank")[2])


def write_result(handoff: Path, result: RunResult) -> None:
    (handoff / RESULT_FILE).write_bytes(pickle.dumps(result))


def write_error(handoff: Path, rank: int, error: BaseException) -> None:
    """The exception as the job would have raised it; as a RuntimeError of its text when it
    does not survive pickling."""
    try:
        data = pickle.dumps(error)
        pickle.loads(data)
    except Exception:
        data = pickle.dumps(RuntimeError(f"{type(error).__name__}: {error}"))
    (handoff / ERROR_FILE.format(rank=rank)).write_bytes(data)
