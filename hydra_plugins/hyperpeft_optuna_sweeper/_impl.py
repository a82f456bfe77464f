"""The sweep loop: ask a batch of trials, launch them as Hydra jobs, tell the study what happened.

`n_jobs` trials are asked at once and handed together to the configured launcher, which runs
them one after another (Hydra's basic launcher) or at the same time (submitit on this machine or
on SLURM, Ray); each is told as its job returns. A job finds its trial in the shared storage and
reports validation scores to it there, so pruning works wherever the job runs; its exception
comes back with its return and the trial is recorded pruned or failed.

Ask-and-tell against a persistent storage is also what lets several `hyperpeft -m +sweep=...`
processes share one study: the storage hands out trial numbers, and every worker counts the
study's trials (in any state) against `n_trials` before asking for another. Running the same
command again therefore resumes a study: finished trials are kept, none runs twice, and only the
missing ones are asked for.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import optuna
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.plugins import Plugins
from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.launcher import Launcher
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf
from optuna.trial import TrialState

from hydra_plugins.hyperpeft_optuna_sweeper._crashes import job_died
from hydra_plugins.hyperpeft_optuna_sweeper._interrupts import Interrupts
from hydra_plugins.hyperpeft_optuna_sweeper._results import summarize, write_summary
from hydra_plugins.hyperpeft_optuna_sweeper._samplers import grid_size, make_sampler
from hydra_plugins.hyperpeft_optuna_sweeper._search_space import SearchSpace
from hydra_plugins.hyperpeft_optuna_sweeper.config import OptunaSweeperConf
from hyperpeft.config import typed
from hyperpeft.errors import ConfigError, DataError
from hyperpeft.results import RunResult, objective_label
from hyperpeft.sweeps.pruners import make_pruner
from hyperpeft.sweeps.storage import open_storage, resolve_storage
from hyperpeft.sweeps.trial import TrialRef

log = logging.getLogger(__name__)
SURPLUS_ATTR = "surplus"


def is_number(value: Any) -> bool:
    """A finite-or-infinite real that Optuna accepts as an objective value (no bools, no NaN)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)


class OptunaSweeperImpl(Sweeper):
    def __init__(self, **raw_settings: Any) -> None:
        # Checked in `setup`, so that bad settings reach the user as a ConfigError rather than
        # wrapped in Hydra's instantiation error.
        self.raw_settings = raw_settings
        self.settings: OptunaSweeperConf | None = None
        self.config: DictConfig | None = None
        self.hydra_context: HydraContext | None = None
        self.launcher: Launcher | None = None
        self.interrupts = Interrupts()

    def setup(
        self,
        *,
        hydra_context: HydraContext,
        task_function: TaskFunction,
        config: DictConfig,
    ) -> None:
        settings = typed(OptunaSweeperConf, self.raw_settings, key="hydra.sweeper")
        settings.validate()
        make_pruner(settings.pruner, settings.pruner_args)  # fail before the first trial
        self.settings = settings
        self.config = config
        self.hydra_context = hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )

    def sweep(self, arguments: list[str]) -> dict[str, Any]:
        assert self.config is not None and self.settings is not None
        space = self._search_space(arguments)
        study_name = self.settings.study_name or str(self.config.hydra.job.name)
        storage_url = resolve_storage(self.settings.storage, study_name)
        study = self._study(study_name, storage_url, space)
        target = self.settings.n_trials
        if self.settings.sampler.lower() == "grid":
            target = min(target, grid_size(space))

        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        log.info(f"Study {study_name} in {storage_url}: {target} trials in total")

        with self.interrupts:
            while batch := self._ask(study, space, target):
                self._run(study, batch, space, storage_url)
                self.interrupts.check()

        summary = summarize(study, self.settings.objectives, storage_url)
        write_summary(summary, sweep_dir)
        return summary

    def _search_space(self, arguments: list[str]) -> SearchSpace:
        """The sweep file's `params` first, then the command line, which wins on shared keys."""
        assert self.hydra_context is not None and self.settings is not None
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        from_params = [f"{key}={value}" for key, value in self.settings.params.items()]
        return SearchSpace.from_overrides(parser.parse_overrides(from_params + list(arguments)))

    def _study(self, study_name: str, storage_url: str, space: SearchSpace) -> optuna.Study:
        settings = self.settings
        assert settings is not None
        study = optuna.create_study(
            study_name=study_name,
            storage=open_storage(storage_url),
            sampler=make_sampler(settings.sampler, settings.seed, settings.sampler_args, space),
            # The sweeper never prunes, but Hyperband also shapes what the sampler sees.
            pruner=make_pruner(settings.pruner, settings.pruner_args),
            directions=settings.directions,
            load_if_exists=True,
        )
        stored = [d.name.lower() for d in study.directions]
        if stored != settings.directions:
            allowed = f"{stored}, the directions stored with study {study_name!r}"
            raise ConfigError("hydra.sweeper.direction", settings.directions, allowed)
        if "objectives" not in study.user_attrs:
            study.set_user_attr("objectives", settings.objectives)
        return study

    def _ask(self, study: optuna.Study, space: SearchSpace, target: int) -> list[optuna.Trial]:
        """Up to n_jobs new trials, never numbered at or beyond the study's `n_trials`."""
        assert self.settings is not None
        batch: list[optuna.Trial] = []
        remaining = target - len(study.get_trials(deepcopy=False))
        for _ in range(min(self.settings.n_jobs, remaining)):
            trial = study.ask(space.distributions)
            if trial.number >= target:
                # Another worker took the last slot between our count and our ask: give it back.
                trial.set_user_attr(SURPLUS_ATTR, True)
                study.tell(trial, state=TrialState.FAIL)
                break
            batch.append(trial)
        return batch

    def _run(
        self, study: optuna.Study, batch: list[optuna.Trial], space: SearchSpace, storage_url: str
    ) -> None:
        assert self.launcher is not None and self.settings is not None
        jobs = []
        for trial in batch:
            ref = TrialRef(
                storage=storage_url,
                study_name=study.study_name,
                trial_number=trial.number,
                pruner=self.settings.pruner,
                pruner_args=self.settings.pruner_args,
            )
            jobs.append(space.overrides_for(trial.params) + ref.to_overrides())
        try:
            self.validate_batch_is_legal(jobs)
            returns = self.launcher.launch(jobs, initial_job_idx=batch[0].number)
            self.interrupts.check()  # a Ctrl-C that the job's code swallowed
        except BaseException as error:
            # A config that cannot compose, a job that died, Ctrl-C or SIGTERM: no trial of this
            # batch stays RUNNING.
            for trial in batch:
                trial.set_user_attr("error", f"{type(error).__name__}: {error}"[:1000])
                study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
            if not job_died(error):
                raise
            numbers = [trial.number for trial in batch]
            log.warning(f"Trials {numbers} failed: a job died ({error}); the study goes on.")
            return
        for trial, job in zip(batch, returns, strict=True):
            self._tell(study, trial, job)

    def _tell(self, study: optuna.Study, trial: optuna.Trial, job: JobReturn) -> None:
        if job.hydra_cfg is not None:
            trial.set_user_attr("output_dir", str(job.hydra_cfg.hydra.runtime.output_dir))
        if job.status != JobStatus.COMPLETED:
            # The job's exception; `JobReturn.return_value` would re-raise it and print an error.
            error = job._return_value
            if isinstance(error, optuna.TrialPruned):
                study.tell(trial, state=TrialState.PRUNED)
                log.info(f"Trial {trial.number} pruned: {error}")
                return
            trial.set_user_attr("error", f"{type(error).__name__}: {error}"[:1000])
            study.tell(trial, state=TrialState.FAIL)
            if isinstance(error, (ConfigError, DataError)):  # e.g. a phm_dim that cannot divide
                log.warning(f"Trial {trial.number} failed: {error}; the study goes on.")
            else:
                log.warning(f"Trial {trial.number} failed; the study goes on.", exc_info=error)
            return
        values = self._objective_values(trial, job.return_value)
        if values is None:
            study.tell(trial, state=TrialState.FAIL)
            return
        frozen = study.tell(trial, values)
        names = self.settings.objectives if self.settings else []
        shown = ", ".join(
            f"{objective_label(k)}={v:.6g}" for k, v in zip(names, values, strict=True)
        )
        log.info(f"Trial {trial.number} {frozen.state.name.lower()}: {shown} {trial.params}")

    def _objective_values(self, trial: optuna.Trial, returned: Any) -> list[float] | None:
        """The objectives out of the task's return value (hyperpeft's `RunResult`, or a dict of
        numbers from another app); None (reason logged) if absent."""
        assert self.settings is not None
        objectives = self.settings.objectives
        if isinstance(returned, RunResult):
            returned = returned.objectives()
        if isinstance(returned, Mapping):
            for key, value in returned.items():
                if is_number(value):
                    trial.set_user_attr(str(key), value)
            missing = [key for key in objectives if not is_number(returned.get(key))]
            if not missing:
                return [float(returned[key]) for key in objectives]
            reason = f"returned {sorted(returned)} without numbers for {missing}"
        elif is_number(returned) and len(objectives) == 1:
            return [float(returned)]
        else:
            reason = f"returned {returned!r}, not a dict with keys {objectives}"
        trial.set_user_attr("error", reason)
        log.warning(f"Trial {trial.number} failed: the task function {reason}")
        return None
