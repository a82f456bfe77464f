"""The `Formulation` interface: how a task is posed to a backbone family.

An encoder reads the example and a small per-task head answers; an encoder-decoder reads a text
and writes its answer as text. Everything that differs between the two (the example a row
becomes, its token ids, their collation into a batch, the trainable heads, the loss and the
prediction) is one object's business, chosen once by the backbone's family, so data, training and
run code never ask which family they have.

Formulations are stateless: one instance per family, shared, picklable with the data loaders.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import torch
    from torch import nn
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from hyperpeft.data.features import Features
    from hyperpeft.tasks.base import Row, Task

Batch = dict[str, Any]


class Formulation(ABC):
    """One way of posing tasks to a backbone: data side first, then the model side."""

    name: ClassVar[str]  # part of the token cache's key: features of two formulations differ

    # -- data ----------------------------------------------------------------------------------
    @abstractmethod
    def example(self, task: Task, row: Row) -> Any:
        """A row as this formulation's example, which also keeps what the metrics need."""

    @abstractmethod
    def feature_code(self, task: Task) -> list[Callable]:
        """The entry points of the code from a row to its features (the task's formatting and
        this formulation's encoding), whose fingerprint is part of the token cache's key."""

    @abstractmethod
    def encode(
        self,
        task: Task,
        examples: Sequence[Any],
        tokenizer: PreTrainedTokenizerBase,
        max_length: int,
    ) -> list[Features]:
        """Token ids of `examples`, unpadded (the collator pads per batch)."""

    @abstractmethod
    def collate(self, task: Task, features: Sequence[Features], pad_token_id: int) -> Batch:
        """One task's features as padded tensors: the model's inputs and `labels` (which rows to
        predict on, without labels, may lack)."""

    # -- model ---------------------------------------------------------------------------------
    def prepare_model(self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> None:
        """Make the freshly loaded model agree with the tokenizer it will be fed (default: as is)."""
        return None

    def heads(
        self,
        hidden_size: int,
        tasks: Sequence[Task],
        dropout: float,
        label_means: Mapping[str, float] | None = None,
    ) -> nn.Module | None:
        """The trainable modules the formulation adds beside the backbone (None: nothing).
        `label_means`: the training labels' mean of each regression task, where known."""
        return None

    @abstractmethod
    def loss(
        self,
        model: PreTrainedModel,
        heads: nn.Module | None,
        batch: Batch,
        label_smoothing: float = 0.0,
    ) -> torch.Tensor:
        """The training loss of one batch (the method's task is already set), its class or
        token targets smoothed by `label_smoothing` (regression targets never are)."""

    @abstractmethod
    def predict(
        self,
        model: PreTrainedModel,
        heads: nn.Module | None,
        batch: Batch,
        task: Task,
        tokenizer: PreTrainedTokenizerBase | None,
    ) -> list[Any]:
        """One prediction per example, in the space of the task's gold labels."""

    def predict_with_probabilities(
        self,
        model: PreTrainedModel,
        heads: nn.Module | None,
        batch: Batch,
        task: Task,
        tokenizer: PreTrainedTokenizerBase | None,
    ) -> tuple[list[Any], list[list[float]] | None]:
        """`predict`'s predictions and, per example, the probability of each class (or choice)
        in the task's order; None where the formulation gives none (regression; default)."""
        return self.predict(model, heads, batch, task, tokenizer), None
