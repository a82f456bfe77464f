"""The `task` group's options that live in code: one per registered task, and the group's schema.

Hydra needs a config per option for `task=rte` to be valid, and a ConfigStore entry is one: each
registered task becomes the option `task=<name>`, a `TaskConfig` holding just that task (the
schema's defaults do the rest), so a new task needs no YAML. Hydra lists these entries beside the
files of `conf/task/` in `hyperpeft --help` and in the unknown-option error.

The files of `conf/task/` are the options with something to say: the mixtures `glue` and
`superglue`, whose task lists come from the registry through the resolver
`${hyperpeft.benchmark:<benchmark>}`, and `custom`. They extend the schema through their defaults
list (`- /task_schema@_here_`), which types them as the code options are typed.
"""

from __future__ import annotations

from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf

from hyperpeft.errors import ConfigError
from hyperpeft.tasks.config import TaskConfig
from hyperpeft.tasks.registry import benchmark_tasks, benchmarks, task_names

SCHEMA = "task_schema"  # a primary-level entry, so it is no option of the `task` group
BENCHMARK_RESOLVER = "hyperpeft.benchmark"


def benchmark_mixture(benchmark: str) -> list[str]:
    """`${hyperpeft.benchmark:glue}`: the benchmark's registered tasks, in its order."""
    names = list(benchmark_tasks(benchmark))
    if not names:
        raise ConfigError(
            "task.tasks",
            f"${{{BENCHMARK_RESOLVER}:{benchmark}}}",
            f"a benchmark with registered tasks: {', '.join(benchmarks())}",
        )
    return names


def register_task_configs() -> None:
    """Register the task group's schema, one option per task and the benchmark resolver.

    Call before Hydra composes the config (the CLI, the compose API in tests and benchmarks);
    calling it again changes nothing."""
    store = ConfigStore.instance()
    store.store(name=SCHEMA, node=TaskConfig)
    for name in task_names():
        store.store(group="task", name=name, node=TaskConfig(name=name, tasks=[name]))
    if not OmegaConf.has_resolver(BENCHMARK_RESOLVER):
        OmegaConf.register_new_resolver(BENCHMARK_RESOLVER, benchmark_mixture)
