"""Parameter-efficient methods: attach to a frozen backbone, own every parameter they add.

`build_method(cfg, backbone, task_names)` turns the composed `method` config group into a
`Method` attached to `backbone.model`. Each method lives in one module of this package and
registers its name; `METHOD_NAMES` lists them in the order the papers present them.
"""

from hyperpeft.methods import adapter, bitfit, compacter, full, hyperformer, lora  # noqa: F401
from hyperpeft.methods.method import Method
from hyperpeft.methods.registry import build_method, method_config, method_names

METHOD_NAMES: tuple[str, ...] = method_names()

__all__ = ["METHOD_NAMES", "Method", "build_method", "method_config"]
