"""Every backbone hyperpeft supports, in one table keyed by the transformers `model_type`.

An entry says which family the type belongs to (how it is loaded and how tasks are posed to it),
which config key holds its width, and which attach table its module names follow. Types are
matched exactly, never by prefix: a model whose type is not listed is refused with the list of
those that are. A new backbone whose module names follow a known layout is one entry here and one
YAML in `conf/model/`; a new layout is one more `ArchitectureTable`. Per-method targets (LoRA's)
live with their method, keyed by the same model types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from transformers import AutoModel, AutoModelForSeq2SeqLM

from hyperpeft.errors import ConfigError
from hyperpeft.formulation import EncoderHeads, Formulation, TextToText

ATTENTION = "attention"
FEED_FORWARD = "feed_forward"
POSITIONS = (ATTENTION, FEED_FORWARD)

# The start of every layer's module names: `stack` (encoder/decoder) and `layer` (its index).
LAYER = r"(?:.*\.)?(?P<stack>encoder|decoder)\.(?:layer|block)\.(?P<layer>\d+)\."


@dataclass(frozen=True)
class ArchitectureTable:
    """Where methods attach, as regular expressions over `named_modules()` names.

    Attach patterns capture `stack` and `layer`; the hooked module's output is the sublayer
    output before dropout and the residual add.
    """

    name: str
    attach: dict[str, str]  # position -> pattern of the module that gets the adapter
    frozen: tuple[str, ...]  # patterns of modules only `full` may train (the LM head)
    layer_norm_classes: tuple[str, ...]  # class names of layer norms that are no nn.LayerNorm


# BertModel-like post-LN encoders: adapters on the output dense layers, before dropout, residual
# and LayerNorm.
BERT = ArchitectureTable(
    name="bert",
    attach={
        ATTENTION: LAYER + r"attention\.output\.dense$",
        FEED_FORWARD: LAYER + r"output\.dense$",
    },
    frozen=(),
    layer_norm_classes=("LayerNorm",),
)

# T5ForConditionalGeneration-like (pre-LN): adapters on the self-attention output projection and
# on the feed-forward block output; never after cross-attention (EncDecAttention).
T5 = ArchitectureTable(
    name="t5",
    attach={
        ATTENTION: LAYER + r"layer\.0\.SelfAttention\.o$",
        FEED_FORWARD: LAYER + r"layer\.\d+\.DenseReluDense$",
    },
    frozen=(r"(?:.*\.)?lm_head",),
    layer_norm_classes=("T5LayerNorm", "MT5LayerNorm", "UMT5LayerNorm"),
)


@dataclass(frozen=True)
class Family:
    """Backbones that are loaded and trained the same way."""

    name: str
    auto_class: Any  # the transformers Auto class that builds the model with the right head
    formulation: Formulation


# Encoders come without a head: hyperpeft adds its task heads.
ENCODER = Family("encoder", AutoModel, EncoderHeads())
ENCODER_DECODER = Family("encoder-decoder", AutoModelForSeq2SeqLM, TextToText())


@dataclass(frozen=True)
class BackboneType:
    """One supported transformers `model_type`."""

    model_type: str
    family: Family
    hidden_size_key: str  # the config attribute holding the width the methods adapt
    architecture: ArchitectureTable
    # The model class builds a pooler by default; the heads pool the hidden states themselves,
    # so it would be dead weight (and counted in the parameter table).
    drop_pooler: bool = False

    @property
    def load_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of `from_config` / `from_pretrained` for this type."""
        return {"add_pooling_layer": False} if self.drop_pooler else {}


BACKBONE_TYPES: dict[str, BackboneType] = {
    entry.model_type: entry
    for entry in (
        BackboneType("bert", ENCODER, "hidden_size", BERT, drop_pooler=True),
        BackboneType("roberta", ENCODER, "hidden_size", BERT, drop_pooler=True),
        BackboneType("xlm-roberta", ENCODER, "hidden_size", BERT, drop_pooler=True),
        BackboneType("electra", ENCODER, "hidden_size", BERT),
        BackboneType("deberta-v2", ENCODER, "hidden_size", BERT),
        BackboneType("t5", ENCODER_DECODER, "d_model", T5),
        BackboneType("mt5", ENCODER_DECODER, "d_model", T5),
        BackboneType("umt5", ENCODER_DECODER, "d_model", T5),
    )
}


def supported_types() -> str:
    return ", ".join(BACKBONE_TYPES)


def backbone_type(model_type: str, key: str, value: Any) -> BackboneType:
    """The table entry of `model_type`; a `ConfigError` on `key=value` when there is none."""
    if model_type not in BACKBONE_TYPES:
        raise ConfigError(
            key,
            value,
            f"model type {model_type!r} is not supported; supported: {supported_types()}",
        )
    return BACKBONE_TYPES[model_type]
