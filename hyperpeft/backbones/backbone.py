"""What the rest of hyperpeft knows about a loaded pretrained model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from torch import nn
from transformers import PreTrainedModel, PreTrainedTokenizerBase

Family = Literal["encoder", "encoder-decoder"]


@dataclass
class Backbone:
    """A pretrained transformer with its tokenizer.

    `model` is a `BertModel`-like encoder (no head; hyperpeft adds task heads) for the encoder
    family, or a `T5ForConditionalGeneration` for the encoder-decoder family (text-to-text).
    `architecture` names the table of attach points the methods use ("bert" or "t5").
    """

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    family: Family
    architecture: str
    hidden_size: int
    name: str

    @property
    def is_encoder_decoder(self) -> bool:
        return self.family == "encoder-decoder"

    def modules_by_name(self) -> dict[str, nn.Module]:
        return dict(self.model.named_modules())
