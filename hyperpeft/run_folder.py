"""A run's folder: its own even when runs start in the same second, refused in one line when it
cannot be created, and removed again when the run fails on bad input before it holds anything.

Hydra names a run's folder by the time to the second (`hydra.run.dir` in `conf/config.yaml`), so
two runs of one method and task started together would share it. The resolver
`${hyperpeft.run_folder:<path>}` claims the folder instead: `mkdir` either creates it or fails
because another process did, and then `<path>-2`, `<path>-3`, ... are tried. Hydra resolves the
value once per job and OmegaConf caches it, so a job claims one folder.

A folder named on the command line (`hydra.run.dir=...`) is created before Hydra runs
(`prepare_named_folder`), so an unwritable path, or one under a regular file, is a one-line
error rather than Hydra's traceback. Either way the folder is remembered as made by this
invocation; `discard_if_empty` removes it when the run stops on bad input with nothing in it but
the files Hydra and the run's first step write.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

from omegaconf import OmegaConf

from hyperpeft.errors import ConfigError

RESOLVER = "hyperpeft.run_folder"
KEY = "hydra.run.dir"
_CREATED: set[Path] = set()  # folders this process created for its runs


def register_run_folder_resolver() -> None:
    OmegaConf.register_new_resolver(RESOLVER, claim_run_folder, use_cache=True, replace=True)


def claim_run_folder(path: str) -> str:
    """Create `path`, or the first of `path-2`, `path-3`, ... that nobody has created yet."""
    base = Path(path)
    for number in itertools.count(1):
        candidate = base if number == 1 else base.with_name(f"{base.name}-{number}")
        try:
            candidate.mkdir(parents=True)
        except FileExistsError:
            continue
        except OSError as err:
            raise ConfigError(KEY, str(candidate), _cannot_create(err)) from None
        _CREATED.add(candidate.resolve())
        return str(candidate)
    raise AssertionError("unreachable")


def prepare_named_folder(path: str) -> None:
    """`hydra.run.dir=<path>` from the command line: create it now (if it is not there yet)."""
    if "${" in path:
        return  # an interpolation Hydra resolves; it creates that folder itself
    folder = Path(path).expanduser()
    if folder.is_dir():
        return
    try:
        folder.mkdir(parents=True)
    except FileExistsError:
        if folder.is_dir():  # another process made it in between: it is not ours
            return
        raise ConfigError(KEY, path, "is a file; give a folder") from None
    except OSError as err:
        raise ConfigError(KEY, path, _cannot_create(err)) from None
    _CREATED.add(folder.resolve())


def _cannot_create(err: OSError) -> str:
    if isinstance(err, NotADirectoryError):
        reason = "a part of the path is a regular file"
    else:
        reason = err.strerror or type(err).__name__
    return f"the run folder cannot be created ({reason}); give a writable folder: {KEY}=<folder>"


def created_here(folder: Path) -> bool:
    return Path(folder).resolve() in _CREATED


def discard_if_empty(folder: Path) -> bool:
    """Remove `folder` if this process created it and it holds nothing but Hydra's `.hydra/`
    and log, the composed `config.yaml` and empty `logs/` and `checkpoint/` folders."""
    folder = Path(folder)
    if not created_here(folder) or not folder.is_dir():
        return False
    if not all(_leftover(entry) for entry in folder.iterdir()):
        return False
    shutil.rmtree(folder)
    _CREATED.discard(folder.resolve())
    return True


def discard_unused() -> None:
    """`discard_if_empty` for every folder this process created: the invocation failed."""
    for folder in sorted(_CREATED):
        discard_if_empty(folder)


def _leftover(entry: Path) -> bool:
    if entry.is_symlink():
        return False
    if entry.is_file():
        return entry.name == "config.yaml" or entry.suffix == ".log"
    if entry.name == ".hydra":
        return all(item.is_file() and item.suffix == ".yaml" for item in entry.iterdir())
    return entry.name in ("logs", "checkpoint") and not any(entry.iterdir())
