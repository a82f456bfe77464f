"""Every entry of the backbone table, checked on a tiny random model of that type.

The models are built through the real loader (`AutoConfig.for_model` from a `model` config), so
an entry whose module names, layer-norm classes, width key or loading arguments do not fit its
type fails here. Types and methods come from the registries: a new entry is tested without a
line of test code.
"""

from __future__ import annotations

import re

import pytest
import torch
from omegaconf import OmegaConf
from torch import nn

from hyperpeft.backbones import BACKBONE_TYPES, Backbone, load_backbone
from hyperpeft.backbones.families import ENCODER_DECODER, POSITIONS
from hyperpeft.errors import ConfigError
from hyperpeft.methods.architectures import find_attach_points
from hyperpeft.methods.lora import lora_targets
from tests.helpers.tiny_models import FRESH_BOUND, HIDDEN, attach, batch, outputs

ENCODER_LAYERS, DECODER_LAYERS = 2, 3
# Tiny settings per family, in the config keys every type of that family shares.
TINY_SETTINGS = {
    "encoder": {
        "hidden_size": HIDDEN,
        "num_hidden_layers": ENCODER_LAYERS,
        "num_attention_heads": 4,
        "intermediate_size": 96,
        "vocab_size": 101,
        "max_position_embeddings": 64,
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
    },
    "encoder-decoder": {
        "d_model": HIDDEN,
        "d_ff": 96,
        "d_kv": 12,
        "num_heads": 4,
        "num_layers": ENCODER_LAYERS,
        "num_decoder_layers": DECODER_LAYERS,
        "vocab_size": 101,
        "dropout_rate": 0.0,
    },
}
MODEL_TYPES = sorted(BACKBONE_TYPES)


def model_cfg(model_type: str, **settings):
    return OmegaConf.create(
        {
            "name": f"tiny-{model_type}",
            "path": "unused",
            "tokenizer": None,
            "pretrained": False,
            "config": {"model_type": model_type, **settings},
        }
    )


def tiny(model_type: str, seed: int = 0) -> Backbone:
    torch.manual_seed(seed)
    family = BACKBONE_TYPES[model_type].family.name
    backbone = load_backbone(model_cfg(model_type, **TINY_SETTINGS[family]), with_tokenizer=False)
    backbone.model.eval()
    return backbone


def stacks(backbone: Backbone) -> dict[str, int]:
    if backbone.family is ENCODER_DECODER:
        return {"encoder": ENCODER_LAYERS, "decoder": DECODER_LAYERS}
    return {"encoder": ENCODER_LAYERS}


def is_any_layer_norm(module: nn.Module) -> bool:
    """Independent of the table: what any reader would call a layer norm."""
    return isinstance(module, nn.LayerNorm) or type(module).__name__.endswith("LayerNorm")


@pytest.fixture(params=MODEL_TYPES)
def model_type(request) -> str:
    return request.param


def test_the_loader_builds_the_type_its_entry_names(model_type):
    backbone = tiny(model_type)
    assert backbone.model.config.model_type == model_type
    assert backbone.type is BACKBONE_TYPES[model_type]
    assert backbone.hidden_size == HIDDEN
    assert not any("pooler" in name for name, _ in backbone.model.named_parameters())
    has_lm_head = hasattr(backbone.model, "lm_head")
    assert has_lm_head == (backbone.family is ENCODER_DECODER)


def test_every_layer_gets_both_attach_points(model_type):
    backbone = tiny(model_type)
    points = find_attach_points(backbone.model, backbone.architecture)
    found = {(p.stack, p.layer, p.position) for p in points}
    expected = {
        (stack, layer, position)
        for stack, layers in stacks(backbone).items()
        for layer in range(layers)
        for position in POSITIONS
    }
    assert found == expected and len(points) == len(expected)
    for point in points:  # the attention site is never the cross-attention
        assert "EncDec" not in point.module_name and "crossattention" not in point.module_name


def test_lora_targets_are_the_query_and_value_projections(model_type):
    backbone = tiny(model_type)
    names = [name for name, _ in lora_targets(backbone)]
    # encoder layers: self-attention q and v; decoder layers: self- and cross-attention q and v
    per_layer = {"encoder": 2, "decoder": 4}
    assert len(names) == sum(per_layer[s] * n for s, n in stacks(backbone).items())
    assert all(re.search(r"(query|value|\.q|\.v)(_proj)?$", name) for name in names)


def test_train_layer_norms_unfreezes_every_layer_norm_and_nothing_else(model_type):
    backbone = tiny(model_type)
    attach("adapter", backbone)
    norms = {
        id(p)
        for name, module in backbone.model.named_modules()
        if is_any_layer_norm(module) and "lm_head" not in name
        for p in module.parameters(recurse=False)
    }
    trainable = {id(p) for p in backbone.model.parameters() if p.requires_grad}
    assert norms and trainable == norms


def test_every_method_attaches_starts_near_identity_and_trains(model_type, method_name):
    backbone = tiny(model_type)
    inputs = batch()
    with torch.no_grad():
        before = outputs(backbone, inputs)
    method = attach(method_name, backbone)
    method.set_task(1)
    with torch.no_grad():
        after = outputs(backbone, inputs)
    # the bound of test_attach.py: the reference's PHM init on tiny 4-wide slices moves ~1.6%
    assert ((after - before).norm() / before.norm()).item() < FRESH_BOUND
    backbone.model.train()
    outputs(backbone, inputs).pow(2).mean().backward()
    trained = [p for p in [*backbone.model.parameters(), *method.parameters()] if p.requires_grad]
    assert trained and any(p.grad is not None and p.grad.abs().sum() > 0 for p in trained)


def test_the_family_picks_the_formulation_and_full_fine_tuning_rate(model_type):
    backbone = tiny(model_type)
    text_to_text = backbone.family is ENCODER_DECODER
    assert backbone.formulation.name == ("text-to-text" if text_to_text else "encoder-heads")
    assert attach("full", backbone).learning_rate == (3e-4 if text_to_text else 2e-5)


@pytest.mark.parametrize("model_type", ["gpt2", "bert-generation", "t5gemma", "nope"])
def test_an_unsupported_type_is_one_line_listing_the_supported_ones(model_type):
    # types that merely start like a supported one are refused too: matching is exact
    with pytest.raises(ConfigError) as info:
        load_backbone(model_cfg(model_type), with_tokenizer=False, device="meta")
    e = info.value
    assert e.key == "model.config.model_type" and e.value == model_type
    assert all(supported in e.allowed for supported in BACKBONE_TYPES)
    assert "\n" not in str(e)


def test_a_model_of_an_unsupported_type_is_refused_when_wrapped():
    gpt = type("Config", (), {"model_type": "gpt2"})()
    model = type("Model", (), {"config": gpt})()
    with pytest.raises(ConfigError) as info:
        Backbone.of(model, None, "gpt2")  # type: ignore[arg-type]
    assert "gpt2" in str(info.value) and "t5" in info.value.allowed
