"""The `task` config group and a custom task's settings: their keys, defaults and checks.

`TaskConfig` is the schema of the group: every `task=<name>` option is one (see
`hyperpeft.tasks.options`), and `TaskConfig.from_config` checks the composed group at the door of
a run (keys added with `+` that the schema does not know are refused there). `CustomTaskConfig`
is one entry of `task.custom`; `CustomTask` is built from it. `task.custom` stays an open mapping
in the schema: OmegaConf cannot create a typed entry from `+task.custom.<name>.train=...`, the
form the README uses, so the entries of the mixture's tasks are checked by `CustomTaskConfig` at
the door instead (and again when a task is built from one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import MISSING

from hyperpeft.errors import ConfigError
from hyperpeft.tasks.base import compact
from hyperpeft.tasks.head import Head
from hyperpeft.tasks.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS
from hyperpeft.tasks.settings import from_values, is_unset, plain, setting

# ---- the task group --------------------------------------------------------------------------


def _name(key: str, value: Any, _: dict) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(key, value, "a name (it names the run folder)")
    return value


def _task_list(key: str, value: Any, _: dict) -> list[str]:
    if not isinstance(value, list) or not value:
        shown = value if isinstance(value, list) else [] if value is None else value
        raise ConfigError(key, shown, "an empty mixture; give at least one task")
    if not all(isinstance(name, str) for name in value):
        raise ConfigError(key, value, "a list of task names")
    duplicates = sorted({name for name in value if value.count(name) > 1})
    if duplicates:
        raise ConfigError(key, value, f"names {duplicates} more than once")
    return value


def _temperature(key: str, value: Any, _: dict) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(key, value, "must be a number > 0 (1 = proportional)")
    return float(value)


def _custom_tasks(key: str, value: Any, earlier: dict) -> dict[str, Any]:
    """The settings of the custom tasks in the mixture are checked here, before a run builds
    anything; entries the mixture leaves out (the placeholder `my_task`) are not. A mixture that
    still names an entry nobody filled in, while others are given, forgot `task.tasks`."""
    if not isinstance(value, dict):
        raise ConfigError(key, value, "a mapping from task names to their settings")
    tasks = earlier["tasks"]
    left_out = [name for name in value if name not in tasks]
    for name in tasks:
        if name in value and left_out and _never_filled_in(value[name]):
            listed = ",".join(left_out)
            raise ConfigError(
                "task.tasks",
                tasks,
                f"names {name}, whose settings are not filled in, and leaves out your "
                f"{'task' if len(left_out) == 1 else 'tasks'} {', '.join(left_out)}: set "
                f"task.tasks=[{listed}]",
            )
    for name in tasks:
        if name in value:
            CustomTaskConfig.from_mapping(name, value[name])
    return value


def _never_filled_in(spec: Any) -> bool:
    """An entry whose required file is still unset: the template's placeholder, untouched."""
    return isinstance(spec, dict) and is_unset(spec.get("train", MISSING))


@dataclass
class TaskConfig:
    """The `task` group: which tasks a run trains on, and how the mixture samples them."""

    name: str = setting("the option's name: it names the run folder", MISSING, check=_name)
    tasks: list[str] = setting(
        "the tasks of the mixture, built-in or under `custom`", MISSING, check=_task_list
    )
    temperature: float = setting(
        "task i is drawn with p_i ~ N_i^(1/T): 1 = proportional, large = near uniform",
        1.0,
        check=_temperature,
    )
    custom: dict[str, Any] = setting(
        "your own tasks by name: each a CustomTaskConfig", default_factory=dict, check=_custom_tasks
    )

    @classmethod
    def from_config(cls, cfg: Any) -> TaskConfig:
        """The composed `task` group, checked."""
        values = plain(cfg)
        if not isinstance(values, dict):
            raise ConfigError(
                "task", values, "a mapping with keys name, tasks, temperature, custom"
            )
        return from_values(cls, "task", values)


# ---- a custom task ---------------------------------------------------------------------------

FORMATS = ("csv", "tsv", "jsonl")
EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl"}
FILE_KEYS = ("train", "validation", "test")
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")
METRICS = {Head.CLASSIFICATION: CLASSIFICATION_METRICS, Head.REGRESSION: REGRESSION_METRICS}
DEFAULT_METRICS = {Head.CLASSIFICATION: ["accuracy"], Head.REGRESSION: ["pearson", "spearman"]}
YAML_BOOLEANS = (
    "YAML reads unquoted no/yes/on/off/true/false as booleans: quote them, e.g. ['no', 'yes']"
)


def file_format(path: str, declared: str | None) -> str | None:
    """The format a file is read in: the declared one, else its extension's (None: unknown)."""
    return declared or EXTENSIONS.get(Path(path).suffix.lower())


def _file(required: bool):
    allowed = ("required: " if required else "") + "a path to a csv, tsv or jsonl file"
    allowed += "" if required else ", or null"

    def check(key: str, value: Any, _: dict) -> str | None:
        if is_unset(value) and not required:
            return None
        if not isinstance(value, str) or not value.strip() or is_unset(value):
            raise ConfigError(key, value, allowed)
        return value

    return check


def _format(key: str, value: Any, earlier: dict) -> str | None:
    if value is not None and value not in FORMATS:
        raise ConfigError(key, value, f"one of {', '.join(FORMATS)}, or null")
    for split in FILE_KEYS:
        path = earlier[split]
        if path is not None and file_format(path, value) is None:
            raise ConfigError(
                key, value, f"one of {', '.join(FORMATS)} (the extension of {path!r} does not tell)"
            )
    return value


def _text_fields(key: str, value: Any, _: dict) -> list[str]:
    fields = [value] if isinstance(value, str) else value
    if isinstance(fields, list) and any(isinstance(field, bool) for field in fields):
        raise ConfigError(key, value, f"field names, not booleans; {YAML_BOOLEANS}")
    if (
        not isinstance(fields, list)
        or not 1 <= len(fields) <= 2
        or not all(isinstance(field, str) and field.strip() for field in fields)
        or len(set(fields)) != len(fields)
    ):
        raise ConfigError(
            key, value, "a list of one or two field names, e.g. [sentence1, sentence2]"
        )
    return fields


def _label_field(key: str, value: Any, earlier: dict) -> str:
    value = "label" if value is None else value
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(key, value, "a field name")
    if value in earlier["text_fields"]:
        raise ConfigError(key, value, "a field not in text_fields")
    return value


def _regression(key: str, value: Any, _: dict) -> bool:
    value = False if value is None else value
    if not isinstance(value, bool):
        raise ConfigError(key, value, "true or false")
    return value


def _label_names(key: str, value: Any, earlier: dict) -> list[str] | None:
    if earlier["regression"]:
        if value is not None:
            raise ConfigError(key, value, "null for a regression task (regression: true)")
        return None
    if value is None:
        raise ConfigError(key, value, "a list of two or more label words (or regression: true)")
    if not isinstance(value, list) or len(value) < 2:
        raise ConfigError(key, value, "a list of two or more label words")
    if any(isinstance(name, bool) for name in value):
        raise ConfigError(key, value, f"label words: strings (or integers); {YAML_BOOLEANS}")
    if not all(isinstance(name, str | int) for name in value):
        raise ConfigError(key, value, "label words: strings (or integers)")
    names = [str(name).strip() for name in value]
    if not all(names) or len({compact(name) for name in names}) != len(names):
        raise ConfigError(key, value, "distinct, non-empty label words")
    return names


def _metrics(key: str, value: Any, earlier: dict) -> list[str]:
    head = Head.REGRESSION if earlier["regression"] else Head.CLASSIFICATION
    allowed = METRICS[head]
    if value is None:
        return list(DEFAULT_METRICS[head])
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or len(set(names)) != len(names):
        raise ConfigError(key, value, f"a list of distinct metrics from: {', '.join(allowed)}")
    for name in names:
        if name not in allowed:
            raise ConfigError(key, name, f"for {head}, one of: {', '.join(allowed)}")
        if name == "f1" and len(earlier["label_names"]) != 2:
            raise ConfigError(key, name, "f1 needs two labels; use macro_f1 for more")
    return names


@dataclass
class CustomTaskConfig:
    """One of your own tasks, `task.custom.<name>`: a classification or regression task over
    one or two text fields of csv / tsv / jsonl files. Relative paths are taken from the working
    directory; csv and tsv files need a header row naming the fields."""

    name: str | None = setting("optional; if given, the key it is under")
    train: str = setting("the training file", MISSING, check=_file(required=True))
    validation: str | None = setting(
        "the validation file; null: held out from train by the split protocol",
        check=_file(required=False),
    )
    test: str | None = setting(
        "the test file; null: the validation split is cut in halves", check=_file(required=False)
    )
    format: str | None = setting("csv | tsv | jsonl; null: each file's extension", check=_format)
    text_fields: list[str] = setting("one or two fields holding text", MISSING, check=_text_fields)
    label_field: str = setting("the field holding the label", "label", check=_label_field)
    regression: bool = setting(
        "true: the label is a number (and label_names null)", False, check=_regression
    )
    label_names: list[str] | None = setting(
        "the classes; the file may hold the word or its index", check=_label_names
    )
    metrics: list[str] | None = setting(
        "null: [accuracy], or [pearson, spearman] for regression; also f1, macro_f1, matthews",
        check=_metrics,
    )

    @classmethod
    def from_mapping(cls, name: str, spec: Any) -> CustomTaskConfig:
        """The settings of the custom task `name` (the entry `task.custom.<name>`), checked."""
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            raise ConfigError(
                "task.custom", name, "task names are letters, digits and _ . + - (no spaces)"
            )
        prefix = f"task.custom.{name}"
        values = plain(spec)
        if not isinstance(values, dict):
            keys = ", ".join(cls.__dataclass_fields__)
            raise ConfigError(prefix, values, f"a mapping with keys {keys}")
        if values.get("name") not in (None, name):
            raise ConfigError(f"{prefix}.name", values["name"], f"the key it is under: {name!r}")
        return from_values(cls, prefix, values)

    @property
    def head(self) -> Head:
        return Head.REGRESSION if self.regression else Head.CLASSIFICATION

    @property
    def files(self) -> dict[str, Path]:
        """The files given, by split."""
        return {
            split: Path(path).expanduser()
            for split in FILE_KEYS
            if (path := getattr(self, split)) is not None
        }

    @property
    def formats(self) -> dict[str, str]:
        return {split: file_format(getattr(self, split), self.format) for split in self.files}
