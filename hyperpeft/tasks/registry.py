"""Task names to task classes. A task registers itself with `@register_task`, as methods do:
adding a task is one class (in a module imported by `hyperpeft.tasks`), and it is then a
`task=<name>` option, part of its benchmark's mixture, and a name `task.tasks` accepts.

Tasks are listed in the order they are registered: a benchmark module defines its tasks in the
benchmark's own order, which is the order of its mixture (the task index of every batch, head
and task embedding follows it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from hyperpeft.errors import ConfigError
from hyperpeft.tasks.base import Task
from hyperpeft.tasks.custom import CustomTask

T = TypeVar("T", bound=type[Task])

TASKS: dict[str, type[Task]] = {}


def register_task(task_class: T) -> T:
    """Class decorator: make `task_class` (with its `name` and `benchmark`) a built-in task."""
    name = task_class.name
    if name in TASKS:
        raise ValueError(f"task {name!r} registered twice: {TASKS[name]} and {task_class}")
    TASKS[name] = task_class
    return task_class


def task_names() -> tuple[str, ...]:
    """Every built-in task, benchmark by benchmark."""
    return tuple(TASKS)


def benchmarks() -> tuple[str, ...]:
    return tuple(dict.fromkeys(task.benchmark for task in TASKS.values()))


def benchmark_tasks(benchmark: str) -> tuple[str, ...]:
    """The tasks of one benchmark (`glue`, `superglue`), in the benchmark's order."""
    return tuple(name for name, task in TASKS.items() if task.benchmark == benchmark)


def get_task(name: str, custom: Mapping[str, Mapping[str, Any]] | None = None) -> Task:
    """The task called `name`: a built-in one, or the spec `custom[name]` (a custom task)."""
    if custom and name in custom:
        if name in TASKS:
            raise ConfigError(
                f"task.custom.{name}",
                name,
                "a name not taken by a built-in task: " + ", ".join(task_names()),
            )
        return CustomTask(name, custom[name])
    if name in TASKS:
        return TASKS[name]()
    allowed = ", ".join(task_names())
    extra = f"; custom: {', '.join(custom)}" if custom else ""
    raise ConfigError("task.tasks", name, f"one of: {allowed}{extra} (or a task under task.custom)")
