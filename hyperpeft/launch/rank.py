"""One rank of a multi-process job of `-m`: `python -m hyperpeft.launch.rank HANDOFF`, started
by torchrun (hyperpeft.launch.ranks). It runs the job's composed config, never a command line.

torchrun's environment (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, ...) is what
Lightning's TorchElasticEnvironment reads, so Lightning joins the ranks instead of starting
processes itself. Rank 0 hands back the run's result; every rank that fails hands back its
exception, which the job re-raises.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hyperpeft.launch.ranks import read_job, write_error, write_result


def expected_failures() -> tuple[type[BaseException], ...]:
    """Failures the job reports in one line (or that a sweep records): no traceback here."""
    import optuna
    from omegaconf.errors import MissingMandatoryValue

    from hyperpeft.errors import ConfigError, DataError
    from hyperpeft.training.module import NonFiniteLoss, RunInterrupted

    return (
        ConfigError,
        DataError,
        MissingMandatoryValue,
        NonFiniteLoss,
        RunInterrupted,
        optuna.TrialPruned,
        KeyboardInterrupt,
    )


def main(handoff: Path) -> int:
    from hydra.core.hydra_config import HydraConfig
    from hydra.core.utils import setup_globals

    from hyperpeft.cli import _quiet_environment, _quiet_libraries
    from hyperpeft.config import register_configs
    from hyperpeft.recipe import run

    _quiet_environment()
    _quiet_libraries()
    register_configs()  # the task resolver, and the schemas of the pickled config
    setup_globals()  # Hydra's resolvers: ${now:...}, ${hydra:...}
    job = read_job(handoff)
    if job["hydra"] is not None:
        HydraConfig.instance().set_config(job["hydra"])
    rank = int(os.environ.get("RANK", "0"))
    try:
        result = run(job["cfg"], Path(job["run_dir"]))
    except BaseException as error:
        write_error(handoff, rank, error)
        if isinstance(error, expected_failures()):
            return 1
        raise
    if rank == 0:
        write_result(handoff, result)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
