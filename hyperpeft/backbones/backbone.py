"""What the rest of hyperpeft knows about a loaded pretrained model."""

from __future__ import annotations

from dataclasses import dataclass

from transformers import PreTrainedModel, PreTrainedTokenizerBase

from hyperpeft.backbones.families import ArchitectureTable, BackboneType, Family, backbone_type
from hyperpeft.formulation import Formulation


@dataclass
class Backbone:
    """A pretrained transformer with its tokenizer and its entry of the backbone table.

    `model` is an encoder without head (hyperpeft adds task heads) for the encoder family, or a
    sequence-to-sequence model with its LM head for the encoder-decoder family (text-to-text).
    `tokenizer` is None in dry runs, which never tokenise.
    """

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase | None
    name: str
    type: BackboneType

    @classmethod
    def of(
        cls, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase | None, name: str
    ) -> Backbone:
        """`model` with the table entry of its own `model_type` (ConfigError if unsupported)."""
        model_type = model.config.model_type
        return cls(model, tokenizer, name, backbone_type(model_type, "model", name))

    @property
    def model_type(self) -> str:
        return self.type.model_type

    @property
    def family(self) -> Family:
        return self.type.family

    @property
    def architecture(self) -> ArchitectureTable:
        """The attach table the methods use."""
        return self.type.architecture

    @property
    def formulation(self) -> Formulation:
        return self.type.family.formulation

    @property
    def hidden_size(self) -> int:
        return int(getattr(self.model.config, self.type.hidden_size_key))
