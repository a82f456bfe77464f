"""`hyperformer` and `hyperformer++` (Karimi Mahabadi et al., ACL 2021).

Adapter weights are not parameters but the output of hypernetworks conditioned on a trainable
task embedding (one vector per task, shared by both stacks: the only per-task parameters). Both
have one hypernetwork per stack, shared by all its layers: a task projector over the concatenated
embeddings, a LayerNorm, and linear generators. As in the reference code (rabeehk/hyperformer):
- hyperformer (`hyperformer.json`, `unique_hyper_net`): input [task; layer id], a separate
  generator per adapter position (attention, feed-forward);
- hyperformer++ (`hyperformer++.json`, `efficient_unique_hyper_net`): input [task; layer id;
  position], one generator shared by the positions too.
Because a batch holds one task, `set_task` generates the weights of every layer and position in
one batched call per stack (inside autograd, so it must run in the training step) and the hooks
only index into them. Generated weights serve the forward passes until a backward pass has run
through them (the optimizer step that follows changes the parameters they came from) or a state
dict is loaded; a forward pass after that, without a new `set_task`, is an error rather than a
silent use of stale weights.
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
    # hyperformer.json and hyperformer++.json: "label_smoothing": 0.1.
    default_label_smoothing: ClassVar[float] = 0.1

    def validate(self, hidden_size: int) -> None:
        super().validate(hidden_size)
        for key in ("task_embedding_dim", "projector_hidden_dim", "source_dim"):
            check_positive(f"method.{key}", getattr(self, key))
        if self.init_std < 0:
            raise ConfigError("method.init_std", self.init_std, "a number >= 0")


class _StackHypernetworkMethod(Method):
    """One hypernetwork per stack; task embeddings; generation in `set_task`; indexing hooks."""

    config: HyperformerConfig
    task_required_each_step = True
    # hyperformer++ feeds a position embedding and shares one generator across positions;
    # hyperformer has a generator (block of output rows) per position instead.
    embeds_position: ClassVar[bool]

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
        e = config.task_embedding_dim
        self.task_embeddings = nn.ParameterDict(
            {task: nn.Parameter(torch.randn(e)) for task in task_names}
        )
        points = find_attach_points(backbone.model, self.architecture, config.positions)
        self.layers = layers_per_stack(points)
        self.layer_embeddings = nn.ParameterDict(
            {stack: nn.Parameter(torch.randn(n, e)) for stack, n in self.layers.items()}
        )
        if self.embeds_position:
            self.position_embeddings = nn.ParameterDict(
                {stack: nn.Parameter(torch.randn(len(self.positions), e)) for stack in self.layers}
            )
        generators = 1 if self.embeds_position else len(self.positions)
        self.hypernetworks = nn.ModuleDict(
            {
                stack: HyperNetwork(
                    (3 if self.embeds_position else 2) * e,
                    config.projector_hidden_dim,
                    config.source_dim,
                    generators * self.layout.size,
                    config.init_std,
                    self.zero_rows(generators),
                )
                for stack in self.layers
            }
        )
        for point in points:
            self.hook_output(point.module, partial(self._adapt, point))
        # stack -> {tensor name: (layers, positions, *shape)}: the current task's adapters, from
        # `set_task` until a backward pass reaches them or a state dict is loaded.
        self.generated: dict[str, dict[str, torch.Tensor]] | None = None
        self.register_load_state_dict_post_hook(lambda module, _: module.discard_generated())

    def zero_rows(self, generators: int) -> tuple[slice, ...]:
        """Generator rows that start at zero, per generator: the generated biases (as a plain
        adapter's) and the conditional layer norm's gamma and beta."""
        names = [n for n in self.layout.shapes if n != "down_weight" and n != "up_weight"]
        size = self.layout.size
        rows = [self.layout.rows(name) for name in names]
        return tuple(
            slice(g * size + r.start, g * size + r.stop) for g in range(generators) for r in rows
        )

    def hypernetwork_inputs(self, stack: str, task_embedding: torch.Tensor) -> torch.Tensor:
        """(layers, positions, 3e) for hyperformer++, (layers, 2e) for hyperformer."""
        n_layers, n_positions = self.layers[stack], len(self.positions)
        layer = self.layer_embeddings[stack]
        task = task_embedding.expand(n_layers, -1)
        if not self.embeds_position:
            return torch.cat([task, layer], dim=-1)
        e = task_embedding.shape[0]
        return torch.cat(
            [
                task[:, None, :].expand(n_layers, n_positions, e),
                layer[:, None, :].expand(n_layers, n_positions, e),
                self.position_embeddings[stack][None, :, :].expand(n_layers, n_positions, e),
            ],
            dim=-1,
        )

    def generate(self, task_embedding: torch.Tensor) -> dict[str, torch.Tensor]:
        """stack -> generated rows of shape (layers, positions, layout.size): every layer and
        position of a stack in one call of its hypernetwork."""
        return {
            stack: self.hypernetworks[stack](
                self.hypernetwork_inputs(stack, task_embedding)
            ).reshape(n_layers, len(self.positions), self.layout.size)
            for stack, n_layers in self.layers.items()
        }

    def generator_modules(self) -> list[nn.Module]:
        """The modules whose calls produce the weights (for tests counting calls)."""
        return [net.generator for net in self.hypernetworks.values()]

    def set_task(self, task_index: int) -> None:
        super().set_task(task_index)
        rows = self.generate(self.task_embeddings[self.task_names[task_index]])
        for tensor in rows.values():
            if tensor.requires_grad:
                tensor.register_hook(self._on_backward)
        self.generated = {stack: self.layout.split(r) for stack, r in rows.items()}

    def _on_backward(self, grad: torch.Tensor) -> None:
        # Gradients have reached the generated weights: the optimizer step that follows will
        # change the parameters they came from, so they serve no further forward pass.
        self.discard_generated()

    def discard_generated(self) -> None:
        """Forget the generated weights: the next forward pass needs `set_task` first. Called
        when a state dict is loaded; call it after changing parameters by hand."""
        self.generated = None

    def _adapt(
        self, point: AttachPoint, module: nn.Module, args: Any, output: torch.Tensor
    ) -> torch.Tensor:
        if self.generated is None:
            raise RuntimeError(
                f"method {self.name}: call set_task(task_index) before the forward passes of "
                "every step; it generates the adapter weights from the current hypernetwork "
                "parameters"
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
class HyperformerPlusPlusMethod(_StackHypernetworkMethod):
    """Per stack: [task; layer id; position] -> projector -> LayerNorm -> one generator."""

    embeds_position = True


@register("hyperformer", HyperformerConfig)
class HyperformerMethod(_StackHypernetworkMethod):
    """Per stack: [task; layer id] -> projector -> LayerNorm -> a generator per position."""

    embeds_position = False
