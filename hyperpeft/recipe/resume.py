"""Resuming a run from its folder alone: `hyperpeft trainer.resume=<run folder>`.

The folder's `config.yaml` (the composed config, as the run saved it) is the run to continue;
what the command line says on top of it is checked against it first:

- overrides that would make it another run (the model, method, tasks, seed, data, optimiser)
  are refused in one line, unless they equal what the run has;
- those that change only how far it trains, how it reports and where it runs
  (`RESUMABLE_CHANGES`: `trainer.max_steps`, `trainer.eval_every`, the logger, the hardware as
  long as the number of processes stays, ...) are applied, and listed;
- a finished run is complete: nothing to do, unless `trainer.max_steps` was raised;
- the checkpoint is read back whole, falling back to the state before it when it is damaged.

Nothing in the folder is written until all of that has passed; then the run continues in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from hyperpeft.config import compose_config, config_error, validate_config
from hyperpeft.errors import ConfigError
from hyperpeft.recipe.build import CONFIG_FILE, run_metadata
from hyperpeft.results import RESULTS_FILE, RunResult
from hyperpeft.training.checkpoints import (
    CHECKPOINT_DIR,
    check_resumable_for,
    resumable_checkpoint,
)

KEY = "trainer.resume"
# What a resumed run may change: how long it trains, how often it evaluates, where it reports,
# and where its data and cache are found. Everything else would make it another run.
RESUMABLE_CHANGES = (
    "trainer.max_steps",
    "trainer.eval_every",
    "trainer.eval_batch_size",
    "data.dir",
    "data.cache_dir",
    "data.num_workers",
    "logger",
    "callbacks",
    "hardware",  # another machine: the accelerator and precision, not the number of processes
)
GROUPS = ("model", "method", "task", "hardware", "logger")  # the config groups of conf/


@dataclass
class ResumePlan:
    """A checked resume: the run's config with the allowed changes, and what to tell the user."""

    folder: Path
    cfg: DictConfig
    complete: bool  # finished, and not asked to train further: nothing to do
    notes: list[str] = field(default_factory=list)


def plan_resume(resume: str, overrides: Sequence[str]) -> ResumePlan:
    """Check everything a resume needs, write nothing; ConfigError says what is wrong."""
    folder = run_folder_of(resume)
    saved = _saved_config(folder)
    parsed = _parse(overrides)
    _check_run_dir(parsed, folder)
    given = [(key, text) for key, text in parsed if key != KEY and not key.startswith("hydra.")]

    choices = _group_choices(folder, saved)
    resumed = _typed(saved, choices, folder)
    asked = {key for key, _ in given}
    wanted = compose_config(
        [f"{group}={choices[group]}" for group in GROUPS if group not in asked]
        + [text for _, text in given]
    )
    notes = _apply(resumed, wanted, [key for key, _ in given])
    _check_processes(saved, resumed)
    validate_config(resumed)

    finished = _finished_result(folder)
    max_steps = int(resumed.trainer.max_steps)
    if finished is not None and finished.steps is not None and finished.steps >= max_steps:
        return ResumePlan(folder, resumed, complete=True, notes=notes)

    named_file = Path(resume).expanduser()
    resumable = resumable_checkpoint(named_file if named_file.is_file() else folder)
    check_resumable_for(resumable, run_metadata(resumed))
    if max_steps < resumable.step:
        raise ConfigError(
            "trainer.max_steps",
            max_steps,
            f"the run is at step {resumable.step} already; give at least {resumable.step}",
        )
    if resumable.note:
        notes.insert(0, resumable.note)
    notes.insert(0, f"resuming {folder} from step {resumable.step} ({resumable.path.name})")
    if finished is not None:
        notes.append(f"the run finished at step {finished.steps}; training on to {max_steps}")
    with open_dict(resumed):
        resumed.trainer.resume = str(resumable.path)
    return ResumePlan(folder, resumed, complete=False, notes=notes)


def run_folder_of(resume: str) -> Path:
    """The run folder `trainer.resume` names: the folder itself, or the one above a checkpoint."""
    path = Path(resume).expanduser()
    if path.is_file() and path.parent.name == CHECKPOINT_DIR:
        path = path.parent.parent
    elif path.is_dir() and path.name == CHECKPOINT_DIR and not (path / CONFIG_FILE).is_file():
        path = path.parent
    if not path.exists():
        raise ConfigError(
            KEY, resume, "no such folder; give the folder of the run to continue (outputs/runs/...)"
        )
    if not (path.is_dir() and (path / CONFIG_FILE).is_file()):
        raise ConfigError(
            KEY, resume, f"not a run folder (it holds no {CONFIG_FILE}); give a run's folder"
        )
    return path.resolve()


def _saved_config(folder: Path) -> DictConfig:
    try:
        saved = OmegaConf.load(folder / CONFIG_FILE)
    except Exception as err:  # a YAML error, or a file cut short
        reason = " ".join(str(err).split())
        raise ConfigError(
            KEY, str(folder), f"its {CONFIG_FILE} cannot be read ({reason})"
        ) from None
    if not isinstance(saved, DictConfig) or not all(group in saved for group in GROUPS):
        raise ConfigError(KEY, str(folder), f"its {CONFIG_FILE} is not a run's composed config")
    return saved


def _parse(overrides: Sequence[str]) -> list[tuple[str, str]]:
    """(key, override as typed) for every override; Hydra's parser reports malformed ones."""
    texts = [text for text in overrides if not text.startswith("-")]
    parsed = OverridesParser.create().parse_overrides(texts)
    return [(override.key_or_group, text) for override, text in zip(parsed, texts, strict=True)]


def _check_run_dir(parsed: list[tuple[str, str]], folder: Path) -> None:
    for key, text in parsed:
        if key == "hydra.run.dir":
            given = text.partition("=")[2].strip("'\"")
            if Path(given).expanduser().resolve() != folder:
                raise ConfigError(
                    key, given, f"a resumed run continues in its own folder, {folder}; leave it out"
                )


def _group_choices(folder: Path, saved: DictConfig) -> dict[str, str]:
    """The option of each group the run was composed from: Hydra's record of its choices when
    the folder has one (a group's `name` may have been overridden), else the groups' names."""
    choices = {group: str(saved[group].get("name")) for group in GROUPS}
    recorded = folder / ".hydra" / "hydra.yaml"
    if recorded.is_file():
        try:
            runtime = OmegaConf.load(recorded).hydra.runtime.choices
            choices.update({group: str(runtime[group]) for group in GROUPS if group in runtime})
        except (OmegaConfBaseException, AttributeError, OSError):
            pass  # the names will do
    return choices


def _typed(saved: DictConfig, choices: dict[str, str], saved_from: Path) -> DictConfig:
    """The saved values in the schemas of the groups the run chose (types and checks back)."""
    skeleton = compose_config([f"{group}={choices[group]}" for group in GROUPS])
    try:
        with open_dict(skeleton):
            merged = OmegaConf.merge(skeleton, saved)
    except OmegaConfBaseException as err:
        error = config_error(err)
        if error is None:
            raise
        raise ConfigError(
            KEY, str(saved_from), f"its {CONFIG_FILE} does not fit this version ({error})"
        ) from err
    assert isinstance(merged, DictConfig)
    return merged


def _apply(resumed: DictConfig, wanted: DictConfig, keys: list[str]) -> list[str]:
    """Carry each overridden key from `wanted` into `resumed`, or refuse it."""
    notes = []
    for key in dict.fromkeys(keys):
        old, new = _value(resumed, key), _value(wanted, key)
        if old == new:
            continue
        group = key in GROUPS
        if group:  # shown by option, not as whole nodes
            old, new = resumed[key].get("name"), wanted[key].get("name")
        if not _resumable_change(key):
            raise ConfigError(
                key,
                new,
                f"a resumed run keeps {key}={old!r} (its {CONFIG_FILE}); resuming changes only "
                f"{', '.join(RESUMABLE_CHANGES)}; start a new run for another {key}",
            )
        with open_dict(resumed):
            if group:
                resumed[key] = wanted[key]
            else:
                OmegaConf.update(resumed, key, new, merge=False, force_add=True)
        note = f"{key}={new!r} (" + ("new" if old is None else f"the run had {old!r}") + ")"
        if key == "trainer.max_steps":
            note += f"; the learning rate now decays over {new} steps"
        notes.append(note)
    return notes


def _check_processes(saved: DictConfig, resumed: DictConfig) -> None:
    """Each DDP process takes its slice of every batch: their number is part of the run."""

    def processes(cfg: DictConfig) -> tuple:
        hardware = cfg.hardware
        ddp = hardware.get("strategy") == "ddp"
        return (hardware.get("devices"), hardware.get("num_nodes")) if ddp else (1, 1)

    if processes(saved) != processes(resumed):
        devices, nodes = processes(saved)
        had = "one process" if (devices, nodes) == (1, 1) else f"{devices} x {nodes} processes"
        raise ConfigError(
            "hardware",
            resumed.hardware.name,
            f"a resumed run keeps its number of processes ({had}, hardware="
            f"{saved.hardware.name}): they split every batch between them",
        )


def _resumable_change(key: str) -> bool:
    return any(key == allowed or key.startswith(f"{allowed}.") for allowed in RESUMABLE_CHANGES)


def _value(cfg: DictConfig, key: str) -> Any:
    node = OmegaConf.select(cfg, key, default=None)
    return OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else node


def _finished_result(folder: Path) -> RunResult | None:
    """The run's results.json if it trained to the end (None: still to finish)."""
    path = folder / RESULTS_FILE
    if not path.is_file():
        return None
    try:
        result = RunResult.read(path)
    except (OSError, ValueError):
        return None  # written by hand or cut short: the run finishes again
    if result.dry_run:
        raise ConfigError(KEY, str(folder), "is a dry run's folder: there is no training to resume")
    return result
