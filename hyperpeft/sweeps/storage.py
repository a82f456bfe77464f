"""Where an Optuna study lives: one string names it for the sweeper and for every trial.

The sweeper resolves the user's `hydra.sweeper.storage` setting once into a canonical string with
absolute paths and hands that same string to each trial's job, so a job running in this process, in
another process or on another machine opens exactly the study the sweeper asked its trial from.

Accepted settings:
- null or "sqlite": a SQLite file `outputs/optuna/<study_name>.db` below the current directory;
- "journal": a journal file `outputs/optuna/<study_name>.journal` below the current directory;
- "journal:///abs/path.journal" or "journal://relative/path.journal": an Optuna journal file,
  the simplest way for workers on several machines to share a study over a shared file system;
- any SQLAlchemy URL: "sqlite:///file.db", "postgresql://user@host/db", "mysql+pymysql://...".
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from hyperpeft.errors import ConfigError

if TYPE_CHECKING:
    from optuna.storages import BaseStorage

STORAGE_KEY = "hydra.sweeper.storage"
DEFAULT_DIR = Path("outputs") / "optuna"
JOURNAL_PREFIX = "journal://"
SQLITE_PREFIX = "sqlite:///"
# SQLite serialises writers; a worker waits this long for another worker's write instead of failing.
SQLITE_TIMEOUT_S = 60

ALLOWED = (
    "null or 'sqlite' (outputs/optuna/<study>.db), 'journal' (outputs/optuna/<study>.journal), "
    "journal:///path/to/file.journal, or a database URL such as sqlite:///file.db or "
    "postgresql://user@host/db"
)


def resolve_storage(storage: str | None, study_name: str, root: Path | None = None) -> str:
    """Turn the user's storage setting into the canonical URL every trial will open."""
    root = Path.cwd() if root is None else Path(root)
    if storage is None or storage in ("", "sqlite"):
        return SQLITE_PREFIX + str((root / DEFAULT_DIR / f"{study_name}.db").absolute())
    if storage == "journal":
        return JOURNAL_PREFIX + str((root / DEFAULT_DIR / f"{study_name}.journal").absolute())
    if storage.startswith(JOURNAL_PREFIX):
        path = storage[len(JOURNAL_PREFIX) :]
        if not path:
            raise ConfigError(STORAGE_KEY, storage, ALLOWED)
        return JOURNAL_PREFIX + str((root / path).absolute())
    if storage.startswith(SQLITE_PREFIX):
        path = storage[len(SQLITE_PREFIX) :]
        if path in ("", ":memory:"):
            raise ConfigError(STORAGE_KEY, storage, "a file: trials open the study on their own")
        return SQLITE_PREFIX + str((root / path).absolute())
    if "://" in storage:
        return storage
    raise ConfigError(STORAGE_KEY, storage, ALLOWED)


def open_storage(url: str) -> BaseStorage:
    """Open a canonical storage URL from `resolve_storage`, creating local files' folders."""
    import optuna

    if url.startswith(JOURNAL_PREFIX):
        path = Path(url[len(JOURNAL_PREFIX) :])
        path.parent.mkdir(parents=True, exist_ok=True)
        backend = optuna.storages.journal.JournalFileBackend(str(path))
        return optuna.storages.JournalStorage(backend)
    engine_kwargs = None
    if url.startswith(SQLITE_PREFIX):
        Path(url[len(SQLITE_PREFIX) :]).parent.mkdir(parents=True, exist_ok=True)
        engine_kwargs = {"connect_args": {"timeout": SQLITE_TIMEOUT_S}}
    return _open_database(url, engine_kwargs)


def _open_database(url: str, engine_kwargs: dict | None, attempts: int = 5) -> BaseStorage:
    """Open an RDB storage; workers that create the same new database at once race on its
    schema, and the loser finds the tables there when it tries again."""
    import optuna
    from sqlalchemy.exc import IntegrityError, OperationalError

    for attempt in range(1, attempts):
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs)
        except (IntegrityError, OperationalError):
            time.sleep(0.2 * attempt)
    return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs)


def dashboard_url(url: str) -> str:
    """What to give `optuna-dashboard`: it takes database URLs as they are, journals as paths."""
    return url[len(JOURNAL_PREFIX) :] if url.startswith(JOURNAL_PREFIX) else url
