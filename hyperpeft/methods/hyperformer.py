"""`hyperformer` and `hyperformer++` (Karimi Mahabadi et al., ACL 2021).

Adapter weights are not parameters but the output of hypernetworks conditioned on a trainable
task embedding (one vector per task, shared by both stacks: the only per-task parameters).
- hyperformer++: one hypernetwork per stack shared by all its layers and positions; its input is
  [task embedding; layer-id embedding; position embedding].
- hyperformer: a separate hypernetwork in every layer, conditioned on the task alone; all layers'
  hypernetworks run as one batched call.
Because a batch holds one task, `set_task` generates the weights of every layer and position in
one batched call per stack (inside autograd, so it must run in the training step) and the hooks
only index into them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

import torch
from torch import nn

from hyperpeft.backbones.backbone import Backbone
from hyperpeft.errors import ConfigError
from hyperpeft.methods.architectures import AttachPoint, find_attach_points, layers_per_stack
from hyperpeft.methods.config import BottleneckConfig, check_positive
from hyperpeft.methods.layers.bottleneck import generated_bottleneck
from hyperpeft.methods.layers.hypernetwork import AdapterLayout, HyperNetwork
from hyperpeft.methods.method import Method
from hyperpeft.methods.registry import register


@dataclass
class HyperformerConfig(BottleneckConfig):
    task_embedding_dim: int = field(
        default=64, metadata={"help": "Task embedding dim (also layer-id and position embeddings)."}
    )
    projector_hidden_dim: int = field(default=128, metadata={"help": "Task projector hidden dim."})
    source_dim: int = field(
        default=64, metadata={"help": "Dim of the projected source I fed to the generators."}
    )
    conditional_layer_norm: bool = field(
        default=True,
        metadata={"help": "Generate gamma/beta of a layer norm on the adapter output."},
    )
    init_std: float = field(
        default=1e-2,
        metadata={"help": "Init std of projector weights and of generated adapter weights."},
    )

    default_learning_rates: ClassVar[dict[str, float]] = {"*": 3e-4}

    def validate(self, hidden_size: int) -> None:
        super().validate(hidden_size)
        for key in ("task_embedding_dim", "projector_hidden_dim", "source_dim"):
            check_positive(f"method.{key}", getattr(self, key))
        if self.init_std < 0:
            raise ConfigError("method.init_std", self.init_std, "a number >= 0")


class _HypernetworkMethod(Method):
    """Shared machinery: task embeddings, generation in `set_task`, hooks that index into it."""

    config: HyperformerConfig
    task_required_each_step = True

    def __init__(
        self, name: str, config: HyperformerConfig, backbone: Backbone, task_names: Sequence[str]
    ) -> None:
        super().__init__(name, config, backbone, task_names)
        self.positions = config.positions
        self.layout = AdapterLayout(
            self.hidden_size,
            config.bottleneck_size(self.hidden_size),
            config.conditional_layer_norm,
        )
        self.task_embeddings = nn.ParameterDict(
            {task: nn.Parameter(torch.randn(config.task_embedding_dim)) for task in task_names}
        )
        points = find_attach_points(backbone.model, self.architecture, config.positions)
        self.layers = layers_per_stack(points)
        self.build_hypernetworks()
        for point in points:
            self.hook_output(point.module, partial(self._adapt, point))
        # stack -> {tensor name: (layers, positions, *shape)}: the current task's adapters.
        self.generated: dict[str, dict[str, torch.Tensor]] | None = None
        self._generated_version = -1

    def build_hypernetworks(self) -> None:
        raise NotImplementedError

    def zero_rows(self, positions: int = 1) -> tuple[slice, ...]:
        """Generator rows that start at zero, per position: the generated biases (as a plain
        adapter's) and the conditional layer norm's gamma and beta."""
        names = [n for n in self.layout.shapes if n != "down_weight" and n != "up_weight"]
        size = self.layout.size
        rows = [self.layout.rows(name) for name in names]
        return tuple(
            slice(p * size + r.start, p * size + r.stop) for p in range(positions) for r in rows
        )

    def generate(self, task_embedding: torch.Tensor) -> dict[str, torch.Tensor]:
        """stack -> generated rows of shape (layers, positions, layout.size)."""
        raise NotImplementedError

    def generator_modules(self) -> list[nn.Module]:
        """The modules whose calls produce the weights (for tests counting calls)."""
        raise NotImplementedError

    def set_task(self, task_index: int) -> None:
        super().set_task(task_index)
        rows = self.generate(self.task_embeddings[self.task_names[task_index]])
        self.generated = {stack: self.layout.split(r) for stack, r in rows.items()}
        self._generated_version = self._parameters_version()

    def _parameters_version(self) -> int:
        # In-place updates (optimizer steps, load_state_dict) bump tensor versions: weights
        # generated before them are stale and would silently ignore the update.
        return sum(p._version for p in self.parameters())

    def _adapt(
        self, point: AttachPoint, module: nn.Module, args: Any, output: torch.Tensor
    ) -> torch.Tensor:
        if self.generated is None or self._generated_version != self._parameters_version():
            raise RuntimeError(
                f"method {self.name}: call set_task(task_index) before every forward pass; "
                "it generates the adapter weights from the current hypernetwork parameters"
            )
        weights = self.generated[point.stack]
        at = (point.layer, self.positions.index(point.position))
        return generated_bottleneck(
            output,
            weights["down_weight"][at],
            weights["down_bias"][at],
            weights["up_weight"][at],
            weights["up_bias"][at],
            self.config.activation,
            weights["norm_weight"][at] if "norm_weight" in weights else None,
            weights["norm_bias"][at] if "norm_bias" in weights else None,
        )


@register("hyperformer++", HyperformerConfig)
class HyperformerPlusPlusMethod(_HypernetworkMethod):
    """One hypernetwork per stack, fed [task; layer id; position] embeddings."""

    def build_hypernetworks(self) -> None:
        c = self.config
        e = c.task_embedding_dim
        self.layer_embeddings = nn.ParameterDict(
            {stack: nn.Parameter(torch.randn(n, e)) for stack, n in self.layers.items()}
        )
        self.position_embeddings = nn.ParameterDict(
            {stack: nn.Parameter(torch.randn(len(self.positions), e)) for stack in self.layers}
        )
        self.hypernetworks = nn.ModuleDict(
            {
                stack: HyperNetwork(
                    1,
                    3 * e,
                    c.projector_hidden_dim,
                    c.source_dim,
                    self.layout.size,
                    c.init_std,
                    self.zero_rows(),
                )
                for stack in self.layers
            }
        )

    def generate(self, task_embedding: torch.Tensor) -> dict[str, torch.Tensor]:
        rows = {}
        for stack, n_layers in self.layers.items():
            n_positions, e = len(self.positions), task_embedding.shape[0]
            inputs = torch.cat(
                [
                    task_embedding.expand(n_layers, n_positions, e),
                    self.layer_embeddings[stack][:, None, :].expand(n_layers, n_positions, e),
                    self.position_embeddings[stack][None, :, :].expand(n_layers, n_positions, e),
                ],
                dim=-1,
            )
            # One batched call for every layer and position of the stack.
            out = self.hypernetworks[stack](inputs.reshape(1, n_layers * n_positions, 3 * e))
            rows[stack] = out.reshape(n_layers, n_positions, self.layout.size)
        return rows

    def generator_modules(self) -> list[nn.Module]:
        return [net.generator for net in self.hypernetworks.values()]


@register("hyperformer", HyperformerConfig)
class HyperformerMethod(_HypernetworkMethod):
    """A hypernetwork per layer (groups of one batched module), fed the task embedding only."""

    def build_hypernetworks(self) -> None:
        c = self.config
        groups = sum(self.layers.values())
        self.hypernetwork = HyperNetwork(
            groups,
            c.task_embedding_dim,
            c.projector_hidden_dim,
            c.source_dim,
            len(self.positions) * self.layout.size,
            c.init_std,
            self.zero_rows(len(self.positions)),
        )

    def generate(self, task_embedding: torch.Tensor) -> dict[str, torch.Tensor]:
        groups = sum(self.layers.values())
        inputs = task_embedding.expand(groups, 1, task_embedding.shape[0])
        out = self.hypernetwork(inputs).reshape(groups, len(self.positions), self.layout.size)
        # Groups are ordered stack by stack (encoder first), layer by layer.
        return dict(zip(self.layers, out.split(list(self.layers.values())), strict=True))

    def generator_modules(self) -> list[nn.Module]:
        return [self.hypernetwork.generator]
