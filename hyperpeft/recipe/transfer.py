"""Few-shot transfer: a run that starts from a trained run's weights (`init_from=`).

The Hyperformer paper's few-shot domain transfer trains Hyperformer++ on the GLUE mixture, then
fine-tunes it on a new task from k training examples. Here `init_from=<trained run>` loads every
shared parameter of that run (hypernetworks, shared PHM rules, layer norms, LoRA factors, a fully
fine-tuned backbone) and, for the tasks both runs have, their per-task parameters (task
embeddings, adapters, heads). A task the source has not seen keeps the fresh parameters this run
built for it; per-task parameters of source tasks this run does not have are left out. With
`data.max_train_examples=k` it is the paper's few-shot setting.

A new task's Hyperformer task embedding starts as every task embedding does, N(0, 1): the
reference code (rabeehk/hyperformer, `TaskEmbeddingController.set_task_embeddings`) draws
`torch.randn` for each task it is built for, and a task the loaded checkpoint does not hold keeps
that draw. The reference's `task_embeddings` argument maps a new task onto a trained one instead
(and `adapters` does the same for adapters); `init_tasks={cb: mnli}` is that mapping here: the
new task's method parameters start as the trained task's (its head starts fresh, since the label
spaces differ).

Per-task parameters are found by structure, not by name patterns: a ModuleDict or ParameterDict
keyed by exactly the run's task names holds one entry per task (`adapters.<site>.<task>`,
`task_embeddings.<task>`), and `heads.<i>` is the head of the run's task i.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf
from safetensors import SafetensorError
from torch import nn

from hyperpeft.errors import ConfigError
from hyperpeft.training.checkpoints import CHECKPOINT_DIR, WEIGHTS_FILE, read_metadata, read_weights

KEY = "init_from"
HEADS = "heads"  # MultiTaskModule.heads: one head per task, indexed like the task list
# Keys whose difference between two runs never changes a parameter's shape.
NOT_SHAPES = {"learning_rate", "train_layer_norms", "init_std", "rule_init_std", "activation"}


@dataclass(frozen=True)
class TaskSlot:
    """Where a per-task tensor sits, whatever the run: its container, its task, the rest."""

    prefix: str
    task: str
    rest: str

    def name(self, tasks: Sequence[str]) -> str:
        """The tensor's name in a run of `tasks` (heads go by the task's index)."""
        key = str(tasks.index(self.task)) if self.prefix == HEADS else self.task
        return ".".join(part for part in (self.prefix, key, self.rest) if part)


@dataclass
class Source:
    """The trained run `init_from` names: its file and what its metadata records."""

    given: str
    path: Path
    model: str
    method: str
    tasks: list[str]
    config: dict[str, Any]

    def refuse(self, what: str) -> ConfigError:
        return ConfigError(KEY, self.given, what)


@dataclass
class Transferred:
    """What a transfer loaded, and what it left fresh or out."""

    shared: int = 0  # tensors
    tasks: list[str] = field(default_factory=list)  # tasks whose per-task weights loaded
    mapped: dict[str, str] = field(default_factory=dict)  # new task -> trained task
    fresh: list[str] = field(default_factory=list)  # tasks that start from their fresh weights
    left_out: list[str] = field(default_factory=list)  # source tasks this run does not have

    def summary(self, given: str) -> str:
        parts = [f"{self.shared} shared tensors"]
        if self.tasks:
            parts.append(f"per-task weights of {', '.join(self.tasks)}")
        parts += [f"{new} from {old}" for new, old in self.mapped.items()]
        if self.fresh:
            parts.append(f"fresh: {', '.join(self.fresh)}")
        if self.left_out:
            parts.append(f"left out: {', '.join(self.left_out)}")
        return f"init_from {given}: " + "; ".join(parts)


def source_file(given: str) -> Path:
    """A model.safetensors, the checkpoint folder holding it, or the run folder above that."""
    path = Path(given)
    for candidate in (path, path / WEIGHTS_FILE, path / CHECKPOINT_DIR / WEIGHTS_FILE):
        if candidate.is_file():
            return candidate
    raise ConfigError(
        KEY, given, "no trained run there; give a run folder, its checkpoint/ or model.safetensors"
    )


def read_source(cfg: DictConfig) -> Source:
    """The run `init_from` names, checked against this run: the backbone and the method must be
    the ones it was trained with, a backbone built from settings the same random one, and
    `init_tasks` must map this run's new tasks onto the source's tasks."""
    given = str(cfg.init_from)
    path = source_file(given)
    try:
        metadata = read_metadata(path)
    except SafetensorError as err:
        raise ConfigError(KEY, given, f"is not a safetensors file ({err})") from None
    config = metadata.get("config")
    if not isinstance(config, dict):
        raise ConfigError(KEY, given, "holds no run config in its metadata; not a hyperpeft run's")
    source = Source(
        given,
        path,
        metadata.get("model") or config.get("model", {}).get("name"),
        metadata.get("method") or config.get("method", {}).get("name"),
        list(metadata.get("tasks") or config.get("task", {}).get("tasks") or []),
        config,
    )
    for key, here in (("model", cfg.model.name), ("method", cfg.method.name)):
        there = getattr(source, key)
        if there != here:
            raise source.refuse(
                f"was trained with {key}={there}, this run has {key}={here}; "
                f"transfer needs the same {key}"
            )
    if not cfg.model.pretrained and config.get("seed") != cfg.seed:
        raise source.refuse(
            f"model={cfg.model.name} is built from settings, its weights random from the seed: "
            f"the source ran with seed={config.get('seed')}, this run has seed={cfg.seed}; "
            f"use seed={config.get('seed')}"
        )
    check_task_map(source, list(cfg.task.tasks), dict(cfg.get("init_tasks") or {}))
    return source


def check_task_map(source: Source, tasks: Sequence[str], mapping: Mapping[str, str]) -> None:
    """`init_tasks` maps this run's new tasks onto the source's tasks."""
    new_tasks = [task for task in tasks if task not in source.tasks]
    for new, old in mapping.items():
        if new not in new_tasks:
            why = "trained there already" if new in source.tasks else "not a task of this run"
            raise ConfigError(
                "init_tasks",
                dict(mapping),
                f"keys are this run's new tasks ({', '.join(new_tasks) or 'none'}); {new} is {why}",
            )
        if old not in source.tasks:
            raise ConfigError(
                "init_tasks",
                dict(mapping),
                f"values are tasks of the trained run ({', '.join(source.tasks)}); {old} is not",
            )


def task_containers(module: nn.Module, tasks: Sequence[str]) -> set[str]:
    """Names of the dicts that hold one entry per task (keyed by exactly `tasks`)."""
    keys = set(tasks)
    return {
        name
        for name, child in module.named_modules()
        if name and isinstance(child, nn.ModuleDict | nn.ParameterDict) and set(child) == keys
    }


def task_slot(name: str, containers: set[str], tasks: Sequence[str]) -> TaskSlot | None:
    """The per-task slot of a tensor of a run of `tasks`, or None for a shared tensor."""
    parts = name.split(".")
    if parts[0] == HEADS and len(parts) > 1 and parts[1].isdigit():
        return TaskSlot(HEADS, tasks[int(parts[1])], ".".join(parts[2:]))
    for i in range(1, len(parts)):
        if parts[i] in tasks and ".".join(parts[:i]) in containers:
            return TaskSlot(".".join(parts[:i]), parts[i], ".".join(parts[i + 1 :]))
    return None


def transfer(module: nn.Module, cfg: DictConfig) -> Transferred:
    """Load `cfg.init_from`'s weights into `module` as the module docstring says; a source that
    does not fit is one ConfigError naming what differs. Returns what was loaded."""
    source = read_source(cfg)
    tensors, _ = read_weights(source.path)
    tasks = [task.name for task in module.tasks]
    mapping = dict(cfg.get("init_tasks") or {})
    containers = task_containers(module, tasks)
    params = dict(module.named_parameters())
    done = Transferred()
    copies: dict[str, tuple[str, torch.Tensor]] = {}  # this run's name -> (source name, tensor)
    for name, tensor in tensors.items():
        slot = task_slot(name, containers, source.tasks)
        if slot is None:
            copies[name] = (name, tensor)
            done.shared += 1
        elif slot.task in tasks:
            copies[slot.name(tasks)] = (name, tensor)
        else:
            for new, old in mapping.items():
                if old == slot.task and slot.prefix != HEADS:
                    copies[TaskSlot(slot.prefix, new, slot.rest).name(tasks)] = (name, tensor)
    check_fit(source, cfg, params, copies, containers, tasks)
    load(module, params, {target: tensor for target, (_, tensor) in copies.items()})
    done.tasks = [t for t in tasks if t in source.tasks]
    done.mapped = {new: mapping[new] for new in tasks if new in mapping}
    done.fresh = [t for t in tasks if t not in source.tasks and t not in mapping]
    done.left_out = [t for t in source.tasks if t not in tasks]
    return done


def check_fit(
    source: Source,
    cfg: DictConfig,
    params: Mapping[str, nn.Parameter],
    copies: Mapping[str, tuple[str, torch.Tensor]],
    containers: set[str],
    tasks: Sequence[str],
) -> None:
    """Every source tensor has a place of its shape here, and every shared parameter the
    method trains here comes from the source."""
    for target, (name, tensor) in copies.items():
        if target not in params:
            raise does_not_fit(source, cfg, f"{name} has no place in this run")
        if params[target].shape != tensor.shape:
            raise does_not_fit(
                source,
                cfg,
                f"{name} is {tuple(tensor.shape)} there, {tuple(params[target].shape)} here",
            )
    unsourced = [
        name
        for name, param in params.items()
        if name.startswith("method.")
        and param.requires_grad
        and name not in copies
        and task_slot(name, containers, tasks) is None
    ]
    if unsourced:
        raise does_not_fit(source, cfg, f"the source has no {unsourced[0]}")


def does_not_fit(source: Source, cfg: DictConfig, detail: str) -> ConfigError:
    """The one line for a source of another size: the differing settings, then the tensor."""
    here = flat(OmegaConf.to_container(cfg, resolve=True), ("model", "method"))
    there = flat(source.config, ("model", "method"))
    differences = [
        f"{key}={there.get(key)} there, {value} here"
        for key, value in here.items()
        if key.rsplit(".", 1)[-1] not in NOT_SHAPES and there.get(key) != value
    ]
    return source.refuse(f"does not fit this run: {'; '.join(differences[:3] + [detail])}")


def flat(config: Mapping[str, Any], groups: Sequence[str]) -> dict[str, Any]:
    """`groups` of a config as dotted keys (`model.config.d_model`)."""
    out: dict[str, Any] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(f"{prefix}.{key}", value)
        else:
            out[prefix] = node

    for group in groups:
        walk(group, config.get(group, {}))
    return out


def load(module: nn.Module, params: Mapping[str, nn.Parameter], state: dict) -> None:
    """Through `load_state_dict`, so modules that cache weights derived from their parameters
    (the hypernetworks' generated adapters) forget them. Meta parameters (a dry run of a model
    built from settings) have nothing to load into: their shapes were checked."""
    if any(param.is_meta for param in params.values()):
        return
    module.load_state_dict(state, strict=False)
