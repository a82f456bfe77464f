"""Task names to task classes: adding a task is one class and one line here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hyperpeft.errors import ConfigError
from hyperpeft.tasks import glue, superglue
from hyperpeft.tasks.base import Task
from hyperpeft.tasks.custom import CustomTask

TASKS: dict[str, type[Task]] = {
    task.name: task
    for task in (
        glue.Cola,
        glue.Sst2,
        glue.Mrpc,
        glue.Qqp,
        glue.Stsb,
        glue.Mnli,
        glue.Qnli,
        glue.Rte,
        superglue.BoolQ,
        superglue.CB,
        superglue.Copa,
        superglue.MultiRC,
        superglue.ReCoRD,
        superglue.SuperGlueRte,
        superglue.WiC,
        superglue.WSC,
    )
}
GLUE_TASKS: tuple[str, ...] = tuple(
    name for name, task in TASKS.items() if task.benchmark == "glue"
)
SUPERGLUE_TASKS: tuple[str, ...] = tuple(
    name for name, task in TASKS.items() if task.benchmark == "superglue"
)
TASK_NAMES: tuple[str, ...] = GLUE_TASKS + SUPERGLUE_TASKS


def get_task(name: str, custom: Mapping[str, Mapping[str, Any]] | None = None) -> Task:
    """The task called `name`: a built-in one, or the spec `custom[name]` (a custom task)."""
    if custom and name in custom:
        if name in TASKS:
            raise ConfigError(
                f"task.custom.{name}",
                name,
                "a name not taken by a built-in task: " + ", ".join(TASK_NAMES),
            )
        return CustomTask(name, custom[name])
    if name in TASKS:
        return TASKS[name]()
    allowed = ", ".join(TASK_NAMES)
    extra = f"; custom: {', '.join(custom)}" if custom else ""
    raise ConfigError("task.tasks", name, f"one of: {allowed}{extra} (or a task under task.custom)")
