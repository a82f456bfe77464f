"""Method names -> (Method class, config dataclass), and `build_method`, the one entry point.

A method module registers itself with `@register(name, ConfigClass)`; adding a method is one
module (imported in `hyperpeft.methods.__init__`) and one YAML in `conf/method/` that names its
schema, `/schema/method/<name>@_here_` (stored by `hyperpeft.config.register_configs`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import torch
from omegaconf import DictConfig

from hyperpeft.backbones.backbone import Backbone
from hyperpeft.config.typed import typed
from hyperpeft.errors import ConfigError
from hyperpeft.methods.config import MethodConfig
from hyperpeft.methods.method import Method

M = TypeVar("M", bound=type[Method])

REGISTRY: dict[str, tuple[type[Method], type[MethodConfig]]] = {}

# The order the papers present them in; methods registered later come after.
_PAPER_ORDER = (
    "full",
    "adapter",
    "compacter",
    "compacter++",
    "phm-adapter",
    "hyperformer",
    "hyperformer++",
    "lora",
    "bitfit",
)


def method_names() -> tuple[str, ...]:
    known = [n for n in _PAPER_ORDER if n in REGISTRY]
    return tuple(known + [n for n in REGISTRY if n not in _PAPER_ORDER])


def register(name: str, config_class: type[MethodConfig]) -> Callable[[M], M]:
    def decorate(method_class: M) -> M:
        if name in REGISTRY:
            raise ValueError(f"method {name!r} registered twice")
        REGISTRY[name] = (method_class, config_class)
        return method_class

    return decorate


def method_config(cfg: DictConfig | Mapping[str, Any]) -> tuple[str, MethodConfig]:
    """The method's name and typed config from the composed `method` group (or a plain mapping
    of the same keys), checked against the method's dataclass by OmegaConf."""
    name = cfg.get("name")
    if name not in REGISTRY:
        raise ConfigError("method", name, f"one of {', '.join(method_names())}")
    _, config_class = REGISTRY[name]
    return name, typed(config_class(name=name), cfg, key="method")


def build_method(
    cfg: DictConfig | Mapping[str, Any], backbone: Backbone, task_names: Sequence[str]
) -> Method:
    """Validate `cfg` against the backbone and tasks, then attach the method to the backbone.

    The method's parameters are created on the device of the backbone's parameters (the meta
    device included, which makes counting parameters of big models free).
    """
    name, config = method_config(cfg)
    config.validate(backbone.hidden_size)
    task_names = list(task_names)
    if config.needs_tasks and not task_names:
        raise ConfigError(
            "task", task_names, f"at least one task: method {name} has per-task weights"
        )
    if len(set(task_names)) != len(task_names) or any(not t or "." in t for t in task_names):
        raise ConfigError("task", task_names, "distinct, non-empty task names without dots")
    method_class, _ = REGISTRY[name]
    device = next(backbone.model.parameters()).device
    with torch.device(device):
        return method_class(name, config, backbone, task_names)
