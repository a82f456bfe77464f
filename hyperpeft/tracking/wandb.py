"""Weights & Biases through Lightning's WandbLogger, grouped and tagged for method comparisons.

A run never prompts for a login: without credentials (WANDB_API_KEY, an identity token file or a
`wandb login` entry in ~/.netrc) it runs offline, and `wandb sync` uploads it later. Runs of one
sweep share a group (the Optuna study, else the multirun folder) and carry the method, task and
model names as tags, so a dashboard can plot score against trainable % per method. At the end of
a job `log_run_summary` writes the results and the parameter table into the run summary.

Keys read under `logger` (conf/logger/wandb.yaml): project, entity, group, tags, mode, and the
optional save_dir (default: the job's run folder) and run_name.
"""

from __future__ import annotations

import netrc
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from omegaconf import DictConfig, OmegaConf

from hyperpeft.errors import ConfigError
from hyperpeft.sweeps.trial import TrialRef

if TYPE_CHECKING:
    from pytorch_lightning.loggers import WandbLogger

MODES = ("online", "offline", "disabled")
DEFAULT_HOST = "https://api.wandb.ai"
PARAMETER_TABLE = (
    "backbone",
    "trainable",
    "trainable_pct",
    "per_task",
    "per_task_pct",
    "checkpoint_bytes",
)
COSTS = ("step_time_s", "peak_memory_mb", "wall_time_s", "steps")


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


def make_wandb_logger(cfg: DictConfig, run_dir: str | Path) -> WandbLogger:
    """A WandbLogger for this job, writing under `run_dir/wandb` unless logger.save_dir says."""
    import wandb
    from pytorch_lightning.loggers import WandbLogger

    logger_cfg = cfg.get("logger") or {}
    mode = resolve_mode(logger_cfg.get("mode"))
    if wandb.run is not None:
        # A previous job of this multirun process left its run open; never log into it.
        wandb.finish()
    identity = run_identity(cfg)
    save_dir = Path(logger_cfg.get("save_dir") or run_dir)
    save_dir.mkdir(parents=True, exist_ok=True)
    tags = [*identity["tags"], *[str(t) for t in logger_cfg.get("tags") or []]]
    return WandbLogger(
        name=logger_cfg.get("run_name") or identity["name"],
        save_dir=str(save_dir),
        project=logger_cfg.get("project") or "hyperpeft",
        entity=logger_cfg.get("entity"),
        group=logger_cfg.get("group") or run_group(cfg),
        tags=list(dict.fromkeys(tags)),
        mode=mode,
        config=OmegaConf.to_container(cfg, resolve=True),
    )


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


def run_summary(results: Mapping[str, Any]) -> dict[str, Any]:
    """The flat summary of one results.json: scores, per-task metrics, parameters and costs."""
    summary: dict[str, Any] = {}
    for key in ("score", "validation_score", "method", "model", "seed", "dry_run"):
        if key in results:
            summary[key] = results[key]
    if "tasks" in results:
        summary["tasks"] = ",".join(results["tasks"])
    for prefix, key in (("test", "metrics"), ("best_val", "validation")):
        for task, metrics in (results.get(key) or {}).items():
            for metric, value in metrics.items():
                summary[f"{prefix}/{task}/{metric}"] = value
    params = results.get("params") or {}
    summary.update({key: params[key] for key in PARAMETER_TABLE if key in params})
    summary.update({key: results[key] for key in COSTS if key in results})
    for task, share in (results.get("task_proportions") or {}).items():
        summary[f"task_proportion/{task}"] = share
    return summary


def log_run_summary(logger: WandbLogger, results: Mapping[str, Any], finish: bool = True) -> None:
    """Write `run_summary(results)` into the run; finish it so the next job starts its own."""
    from pytorch_lightning.utilities import rank_zero_only

    if rank_zero_only.rank != 0:
        return
    run = logger.experiment
    run.summary.update(run_summary(results))
    if finish:
        run.finish()
