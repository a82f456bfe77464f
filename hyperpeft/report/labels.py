"""The name a run is compared under: its method, and what makes its numbers a different kind.

Runs of one method are not all comparable: a mixture run (more than one task) shares its
parameters between tasks, a few-shot run saw k training examples per task (`data.max_train_examples`)
and a transfer run started from another run's weights (`init_from`). Each gets its own label, so
its scores never share a row or a mean with the method's single-task, full-data runs:

    hyperformer++            hyperformer++ (mixture)
    adapter k=16             hyperformer++ transfer k=16

Runs whose configs differ in other settings (a sweep's trials) get those settings too, as the
per-configuration table shows them; and when even that does not tell runs of one task apart
(results written without their config), their trainable % does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from hyperpeft.report.collect import flatten
from hyperpeft.results import RunResult

# Keys that differ between the tasks, or the seeds, of one experiment; the label says the rest.
TASK_KEYS = ("task", "init_from", "init_tasks", "checkpoint", "logger", "data.max_train_examples")


def config_value(config: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted key of a (nested) config; None where it is absent."""
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def few_shot_k(row: RunResult) -> int | None:
    """`data.max_train_examples` (k per task) when the run was limited to it, else None."""
    value = config_value(row.config, "data.max_train_examples")
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def is_transfer(row: RunResult) -> bool:
    """The run started from another run's weights (`init_from=`)."""
    return bool(config_value(row.config, "init_from"))


def is_mixture(row: RunResult) -> bool:
    return len(row.tasks) > 1


def method_label(row: RunResult, with_model: bool = False) -> str:
    """`method`, then ` (mixture)`, ` transfer`, ` k=<k>` as they apply; `model: ` first when
    the report holds more than one backbone."""
    label = row.method
    if is_mixture(row):
        label += " (mixture)"
    if is_transfer(row):
        label += " transfer"
    k = few_shot_k(row)
    if k is not None:
        label += f" k={k}"
    return f"{row.model}: {label}" if with_model else label


def experiment_settings(row: RunResult) -> dict[str, str]:
    """The config as dotted keys, without what differs between an experiment's tasks and seeds."""
    return {
        key: value
        for key, value in flatten(row.config).items()
        if not any(key == prefix or key.startswith(prefix + ".") for prefix in TASK_KEYS)
    }


def run_labels(rows: Sequence[RunResult]) -> dict[int, str]:
    """The label of every run, by `id(row)`: `method_label`, then the settings that tell apart
    runs sharing it, then the trainable % where runs of one task still share a label."""
    with_model = len({row.model for row in rows}) > 1
    base = {id(row): method_label(row, with_model) for row in rows}
    settings = {id(row): experiment_settings(row) for row in rows}
    by_base: dict[str, list[RunResult]] = defaultdict(list)
    for row in rows:
        by_base[base[id(row)]].append(row)
    labels: dict[int, str] = {}
    for label, members in by_base.items():
        configs = [settings[id(row)] for row in members]
        names = sorted(set().union(*configs))
        varying = [n for n in names if len({c.get(n) for c in configs}) > 1]
        for row, config in zip(members, configs, strict=True):
            shown = ", ".join(f"{name}={config.get(name, '–')}" for name in varying)
            labels[id(row)] = f"{label} {shown}" if shown else label
    return _split_by_size(rows, labels)


def _split_by_size(rows: Sequence[RunResult], labels: dict[int, str]) -> dict[int, str]:
    """Runs of one task and label with different trainable counts are different experiments."""
    counts: dict[tuple[str, str], set] = defaultdict(set)
    for row in rows:
        counts[(labels[id(row)], row.task_label)].add(row.trainable)
    clashing = {label for (label, _), sizes in counts.items() if len(sizes) > 1}
    split = dict(labels)
    for row in rows:
        if labels[id(row)] in clashing and row.trainable_pct is not None:
            split[id(row)] = f"{labels[id(row)]} ({row.trainable_pct:.3g}%)"
    return split
