"""The `hyperpeft` command: Hydra composes the config groups, `run` does the work.

Bad input (`ConfigError`, `DataError`, a required value left unset) is printed as one line on
stderr with exit status 2, no traceback; inside a multirun or sweep it is raised instead, so the
sweeper can record the trial as failed and go on. A run folder the failed invocation created and
left empty is removed (`hyperpeft.run_folder`).

`hyperpeft trainer.resume=<run folder>` continues a run from its folder alone: the folder's
config.yaml is the run, the command line may change only what `hyperpeft.recipe.resume` allows,
everything is checked before anything is written, and the run goes on in the same folder.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import ConfigCompositionException, MissingConfigException, OverrideParseException
from hydra.types import RunMode
from omegaconf import DictConfig
from omegaconf.errors import MissingMandatoryValue

from hyperpeft import run_folder
from hyperpeft.config import config_dir, config_error, register_configs
from hyperpeft.errors import EXIT_BAD_INPUT, ConfigError, DataError
from hyperpeft.launch.slurm import no_slurm_message

if TYPE_CHECKING:
    from hyperpeft.results import RunResult

EXIT_INTERRUPTED = 130


def _quiet_environment() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if not os.environ.get("WANDB_API_KEY"):
        os.environ.setdefault("WANDB_MODE", "offline")
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def _quiet_libraries() -> None:
    """Lightning's banner lines and deprecation chatter drown the parameter table."""
    for name in ("pytorch_lightning", "lightning_fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=".*LeafSpec.*")
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")


def _task_function(cfg: DictConfig) -> RunResult | None:
    from hyperpeft.launch import run_multirun_job
    from hyperpeft.recipe import run

    _quiet_libraries()
    hydra_cfg = HydraConfig.get()
    multirun = hydra_cfg.mode == RunMode.MULTIRUN
    run_dir = Path(hydra_cfg.runtime.output_dir)
    try:
        if multirun:
            # isolated from the other jobs of this process; a DDP job gets ranks of its own
            # (Lightning's own start would re-run the command line: the whole multirun)
            return run_multirun_job(cfg, run_dir)
        return run(cfg, run_dir)
    except BaseException as err:
        _stopped(err, multirun)
        raise


def _stopped(err: BaseException, multirun: bool) -> None:
    """How a job that raised ends: bad input in one line (exit 2), an interrupt says how to
    resume (exit 130); anything else, and bad input inside a multirun, is raised on."""
    from hyperpeft.training.module import NonFiniteLoss, RunInterrupted

    if isinstance(err, RunInterrupted):
        print(f"stopped: {err}", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    if isinstance(err, KeyboardInterrupt):
        run_folder.discard_unused()
        print("stopped: interrupted before training started; nothing to resume", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    if isinstance(err, MissingMandatoryValue):
        message = f"{err.full_key}=???: a value is required; set it on the command line"
    elif isinstance(err, (ConfigError, DataError, NonFiniteLoss)):
        message = str(err)
    else:
        return
    if multirun:
        return
    _fail(message)


def _resume(resume: str, args: list[str]) -> None:
    """`hyperpeft trainer.resume=<run folder> [changes]`: checked first, then run in that folder
    (Hydra composes nothing here: the folder's config.yaml is the run)."""
    from hyperpeft.recipe import run
    from hyperpeft.recipe.resume import plan_resume

    plan = plan_resume(resume, args)
    for note in [] if plan.complete else plan.notes:
        print(f"note: {note}", file=sys.stderr)
    if plan.complete:
        print(
            f"the run in {plan.folder} is complete ({plan.cfg.trainer.max_steps} steps; "
            "results.json holds its results); nothing to do. To train it further, raise "
            "trainer.max_steps"
        )
        return
    _quiet_libraries()
    try:
        run(plan.cfg, plan.folder)
    except BaseException as err:
        _stopped(err, multirun=False)
        raise


def _resume_argument(args: list[str]) -> str | None:
    """The value of the last `trainer.resume=...` on the command line (None: not resuming)."""
    value = None
    for arg in args:
        key, sep, given = arg.lstrip("+").partition("=")
        if sep and key == "trainer.resume":
            value = given.strip("'\"") or None
    return None if value in (None, "null") else value


def _fail(message: str) -> None:
    run_folder.discard_unused()  # the folder of a run that never started is not kept
    print(f"error: {message}", file=sys.stderr)
    sys.exit(EXIT_BAD_INPUT)


def _unknown_option(err: MissingConfigException) -> str:
    """Hydra's 'Could not find' message, as one line: the group, the value and the options."""
    first = str(err).strip().splitlines()[0]
    if err.missing_cfg_file and err.options:
        group, _, value = err.missing_cfg_file.rpartition("/")
        return f"{group}={value}: unknown option; one of: {', '.join(sorted(err.options))}"
    return first


def _one_line(err: Exception) -> str:
    """A composition error as one line: the key, the value and what the schema allows."""
    overrides = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
    error = config_error(err, overrides)
    return str(error) if error is not None else " ".join(str(err).split())


def _named_run_dir(args: list[str]) -> str | None:
    """The last `hydra.run.dir=...` on the command line (None: conf/config.yaml's pattern)."""
    named = [arg.partition("=")[2] for arg in args if arg.startswith("hydra.run.dir=")]
    return named[-1].strip("'\"") if named else None


def _bad_input_in(err: BaseException) -> ConfigError | DataError | None:
    """Bad input raised where Hydra wraps it (a resolver of hydra.run.dir, say)."""
    while err is not None:
        if isinstance(err, (ConfigError, DataError)):
            return err
        err = err.__cause__ or err.__context__
    return None


def main() -> None:
    _quiet_environment()
    register_configs()
    app = hydra.main(version_base="1.3", config_path=config_dir(), config_name="config")(
        _task_function
    )
    args = sys.argv[1:]
    flags = [arg for arg in args if arg.startswith("-")]
    resume = None if flags else _resume_argument(args)
    # Hydra prints errors raised outside a job (composition, the sweeper's own checks) itself,
    # with exit 1; with HYDRA_FULL_ERROR it raises them, and they get our one line and exit 2
    previous = os.environ.get("HYDRA_FULL_ERROR")
    user_asked_for_tracebacks = previous == "1"
    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        if resume is not None:
            _resume(resume, args)
            return
        named = None if flags else _named_run_dir(args)
        if named is not None:
            run_folder.prepare_named_folder(named)  # before Hydra, which would trace back
        app()
    except MissingConfigException as err:
        _fail(_unknown_option(err))
    except (ConfigError, DataError) as err:
        if user_asked_for_tracebacks:
            raise
        _fail(str(err))
    except (ConfigCompositionException, OverrideParseException) as err:
        if user_asked_for_tracebacks:
            raise
        _fail(_one_line(err))
    except Exception as err:
        found = _bad_input_in(err)
        message = str(found) if found is not None else no_slurm_message(err)
        if message is None or user_asked_for_tracebacks:
            raise
        _fail(message)
    finally:
        if previous is None:
            os.environ.pop("HYDRA_FULL_ERROR", None)
        else:
            os.environ["HYDRA_FULL_ERROR"] = previous


if __name__ == "__main__":
    main()
