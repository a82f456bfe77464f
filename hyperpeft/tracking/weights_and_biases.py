"""Weights & Biases through Lightning's WandbLogger, grouped and tagged for method comparisons.

A run never prompts for a login: without credentials (WANDB_API_KEY, an identity token file or a
`wandb login` entry in ~/.netrc) it runs offline, and `wandb sync` uploads it later. Runs of one
sweep share a group (the Optuna study, else the multirun folder) and carry the method, task and
model names as tags, so a dashboard can plot score against trainable % per method. At the end of
a job `log_run_summary` writes the run's result and parameter table into the run summary.

A resumed run (`trainer.resume=<run folder>`) continues its W&B run: the run's id is made at its
first start and kept in the run folder (`wandb/hyperpeft-run-id`), and the resumed part opens the
same id (`resume="allow"`). Online it is one run; offline each part is an offline run folder with
that id, and `wandb sync` uploads the parts one after another, in the order they started, into
that one run.

`wandb_logger` is the `_target_` of conf/logger/wandb.yaml, whose keys are its arguments:
project, entity, group, tags, mode, and the optional save_dir (default: the job's run folder)
and run_name.
"""

from __future__ import annotations

import netrc
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from omegaconf import DictConfig, OmegaConf

from hyperpeft.atomic import atomic_write_text
from hyperpeft.errors import ConfigError
from hyperpeft.results import RunResult
from hyperpeft.sweeps.trial import TrialRef

if TYPE_CHECKING:
    from pytorch_lightning.loggers import WandbLogger

MODES = ("online", "offline", "disabled")
RUN_ID_FILE = Path("wandb") / "hyperpeft-run-id"  # in the run folder
DEFAULT_HOST = "https://api.wandb.ai"
PARAMETER_TABLE = (
    "backbone",
    "trainable",
    "trainable_pct",
    "per_task",
    "per_task_pct",
    "checkpoint_bytes",
)


def has_wandb_credentials() -> bool:
    """True when wandb can log in without asking: an API key, a token file or a netrc entry."""
    if os.environ.get("WANDB_API_KEY") or os.environ.get("WANDB_IDENTITY_TOKEN_FILE"):
        return True
    host = urlparse(os.environ.get("WANDB_BASE_URL") or DEFAULT_HOST).hostname
    path = Path(os.environ.get("NETRC") or Path.home() / ".netrc")
    try:
        return host is not None and netrc.netrc(path).authenticators(host) is not None
    except (OSError, netrc.NetrcParseError):
        return False


def resolve_mode(requested: str | None) -> str:
    """`logger.mode`, else WANDB_MODE, else online with credentials and offline without."""
    mode = requested or os.environ.get("WANDB_MODE")
    if not mode:
        return "online" if has_wandb_credentials() else "offline"
    mode = "offline" if mode.lower() == "dryrun" else mode.lower()
    if mode not in MODES:
        raise ConfigError("logger.mode", mode, f"one of {', '.join(MODES)} or null")
    if mode == "online" and not has_wandb_credentials():
        allowed = "offline or disabled: no WANDB_API_KEY and no `wandb login` found"
        raise ConfigError("logger.mode", mode, allowed)
    return mode


def wandb_logger(
    run_config: DictConfig,
    run_dir: str | Path,
    project: str = "hyperpeft",
    entity: str | None = None,
    group: str | None = None,
    tags: Sequence[str] = (),
    mode: str | None = None,
    save_dir: str | None = None,
    run_name: str | None = None,
) -> WandbLogger:
    """A WandbLogger for this job, named, tagged and grouped from the run's composed config;
    it writes under `run_dir/wandb` unless `save_dir` says otherwise."""
    import wandb
    from pytorch_lightning.loggers import WandbLogger

    mode = resolve_mode(mode)
    if wandb.run is not None:
        # A previous job of this multirun process left its run open; never log into it.
        wandb.finish()
    identity = run_identity(run_config)
    folder = Path(save_dir or run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    all_tags = [*identity["tags"], *[str(t) for t in tags or []]]
    return WandbLogger(
        id=run_id(Path(run_dir)),
        resume="allow",
        name=run_name or identity["name"],
        save_dir=str(folder),
        project=project or "hyperpeft",
        entity=entity,
        group=group or run_group(run_config),
        tags=list(dict.fromkeys(all_tags)),
        mode=mode,
        config=OmegaConf.to_container(run_config, resolve=True),
    )


def run_id(run_dir: Path) -> str:
    """The W&B run id of the run in `run_dir`: the one its first start kept there, else a new
    one, kept (by rank 0 only: other DDP ranks log nothing). W&B ids are letters and digits;
    12 hex digits of a random UUID are as unique as the ones wandb draws."""
    from pytorch_lightning.utilities import rank_zero_only

    path = run_dir / RUN_ID_FILE
    try:
        kept = path.read_text(encoding="utf-8").strip()
    except OSError:
        kept = ""
    if kept:
        return kept
    new = uuid.uuid4().hex[:12]
    if rank_zero_only.rank == 0:
        atomic_write_text(path, new + "\n")
    return new


def run_identity(cfg: DictConfig) -> dict[str, Any]:
    """Run name and tags from the composed config: method, task(s), model, seed, trial."""
    method = str(OmegaConf.select(cfg, "method.name", default="method"))
    model = str(OmegaConf.select(cfg, "model.name", default="model"))
    task = str(OmegaConf.select(cfg, "task.name", default="task"))
    tasks = [str(t) for t in OmegaConf.select(cfg, "task.tasks", default=None) or [task]]
    name = f"{method}_{task}_{model}_seed{cfg.get('seed')}"
    trial = TrialRef.from_config(cfg)
    if trial is not None:
        name += f"_trial{trial.trial_number}"
    return {"name": name, "tags": list(dict.fromkeys([method, *tasks, model]))}


def run_group(cfg: DictConfig) -> str | None:
    """The Optuna study of a sweep trial, else the multirun folder's name, else no group."""
    trial = TrialRef.from_config(cfg)
    if trial is not None:
        return trial.study_name
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if not HydraConfig.initialized():
        return None
    hydra_cfg = HydraConfig.get()
    if hydra_cfg.mode != RunMode.MULTIRUN:
        return None
    return Path(str(hydra_cfg.sweep.dir)).name


def run_summary(result: RunResult) -> dict[str, Any]:
    """The flat summary of one run: scores, per-task metrics, parameters and costs."""
    summary: dict[str, Any] = {
        "method": result.method,
        "model": result.model,
        "seed": result.seed,
        "dry_run": result.dry_run,
        "tasks": ",".join(result.tasks),
    }
    if not result.dry_run:
        summary |= {"score": result.score, "validation_score": result.validation_score}
    for prefix, split in (("test", result.metrics), ("best_val", result.validation)):
        for task, metrics in split.items():
            for metric, value in metrics.items():
                summary[f"{prefix}/{task}/{metric}"] = value
    summary.update({key: result.params[key] for key in PARAMETER_TABLE if key in result.params})
    summary["wall_time_s"] = result.wall_time_s
    if not result.dry_run:
        summary |= {
            "step_time_s": result.step_time_s,
            "peak_memory_mb": result.peak_memory_mb,
            "steps": result.steps,
        }
    for task, share in result.task_proportions.items():
        summary[f"task_proportion/{task}"] = share
    return summary


def log_run_summary(logger: WandbLogger, result: RunResult, finish: bool = True) -> None:
    """Write `run_summary(result)` into the run; finish it so the next job starts its own."""
    from pytorch_lightning.utilities import rank_zero_only

    if rank_zero_only.rank != 0:
        return
    run = logger.experiment
    run.summary.update(run_summary(result))
    if finish:
        run.finish()
