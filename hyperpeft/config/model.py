"""`model`: which backbone, where its weights and tokenizer come from, and its input length."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from hyperpeft.config.checks import check_positive


@dataclass
class ModelConfig:
    name: str = field(default=MISSING, metadata={"help": "The option's name (conf/model)."})
    path: str = field(
        default=MISSING, metadata={"help": "A hub name or local folder; `minilm` = the package's."}
    )
    tokenizer: str | None = field(
        default=None, metadata={"help": "Tokenizer name or folder; null = the model's own."}
    )
    pretrained: bool = field(
        default=True,
        metadata={"help": "Load pretrained weights; false builds `config` without downloading."},
    )
    max_length: int = field(
        default=128, metadata={"help": "Tokens per input (longer inputs are truncated)."}
    )
    config: dict[str, Any] = field(
        default_factory=dict,
        metadata={"help": "transformers config settings (model_type first), for pretrained=false."},
    )

    def validate(self) -> None:
        check_positive("model.max_length", self.max_length)
