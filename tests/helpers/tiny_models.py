"""Tiny random BERT and T5 backbones built from configs (offline, seconds), and helpers.

Dimensions are chosen so every method's defaults that depend on divisibility work with
`TINY_OVERRIDES`: hidden 48 = 4 * 12, bottleneck 48 / 4 = 12, divisible by phm_dim 4 and 12.
The decoder has one layer more than the encoder so per-stack code sees different sizes.
The lists of methods and architectures come from the registries, so a new one is tested too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import torch
from transformers import BertConfig, BertModel, T5Config, T5ForConditionalGeneration

from hyperpeft.backbones.backbone import Backbone
from hyperpeft.backbones.families import BACKBONE_TYPES, ENCODER_DECODER
from hyperpeft.methods import METHOD_NAMES, Method, build_method, method_config

HIDDEN = 48
TASKS = ["rte", "cb", "copa"]

# A fresh method must stay close to the backbone (papers: near-identity init). Relative change of
# the final outputs, ||y_method - y|| / ||y||. Adapters without their output norm (std 1e-2
# normal, zero biases) measure ~4e-5 (BERT) and ~1.5e-3 (T5 logits) on the tiny models (with it,
# zero-initialised, exactly 0); compacter's rule N(0, 1e-4) ~1e-7;
# phm-adapter (the reference's per-layer rules N(0, 1e-2) and glorot B_i on their own fans)
# ~3e-4 and ~1.6e-2: on the tiny models' 4-wide slices its weights have std ~3e-2 (T5-base:
# ~8.5e-3, like an adapter's); hyperformer's zero-initialised conditional layer norm makes it exact.
FRESH_BOUND = 3e-2


def _has_bottleneck(name: str) -> bool:
    _, config = method_config({"name": name})
    return "reduction_factor" in {field.name for field in dataclasses.fields(config)}


# The adapter family: every registered method with a bottleneck (adapters, compacters,
# hyperformers); they keep per-task weights and train the backbone's layer norms.
ADAPTER_FAMILY = tuple(name for name in METHOD_NAMES if _has_bottleneck(name))
# Only the bottleneck changes for tiny models: 48 / 4 = 12, divisible by phm_dim 4 and 12.
TINY_OVERRIDES: dict[str, dict] = {name: {"reduction_factor": 4} for name in ADAPTER_FAMILY}


def tiny_bert(seed: int = 0) -> Backbone:
    torch.manual_seed(seed)
    config = BertConfig(
        hidden_size=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=96,
        vocab_size=101,
        max_position_embeddings=64,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    model = BertModel(config).eval()
    return Backbone.of(model, None, "tiny-bert")


def tiny_t5(seed: int = 0) -> Backbone:
    torch.manual_seed(seed)
    config = T5Config(
        d_model=HIDDEN,
        d_ff=96,
        d_kv=12,
        num_heads=4,
        num_layers=2,
        num_decoder_layers=3,
        vocab_size=101,
        dropout_rate=0.0,
        decoder_start_token_id=0,
    )
    model = T5ForConditionalGeneration(config).eval()
    return Backbone.of(model, None, "tiny-t5")


_TINY = {"bert": tiny_bert, "t5": tiny_t5}
# One tiny model per attach layout the backbone types use: a new layout needs one here.
LAYOUTS = sorted({entry.architecture.name for entry in BACKBONE_TYPES.values()})
BACKBONES: dict[str, Callable[..., Backbone]] = {name: _TINY[name] for name in LAYOUTS}


def method_cfg(name: str, **overrides) -> dict:
    return {"name": name, **TINY_OVERRIDES.get(name, {}), **overrides}


def attach(name: str, backbone: Backbone, tasks=TASKS, seed: int = 1, **overrides) -> Method:
    torch.manual_seed(seed)
    return build_method(method_cfg(name, **overrides), backbone, list(tasks))


def batch(seed: int = 2) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, 101, (3, 7), generator=g)
    mask = torch.ones_like(ids)
    mask[0, 5:] = 0
    return {"input_ids": ids, "attention_mask": mask}


def outputs(backbone: Backbone, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """The backbone's final outputs: encoder hidden states, encoder-decoder LM logits (teacher
    forced)."""
    if backbone.family is ENCODER_DECODER:
        decoder_ids = inputs["input_ids"][:, :5]
        return backbone.model(**inputs, decoder_input_ids=decoder_ids).logits
    return backbone.model(**inputs).last_hidden_state


def trainable_parameters(backbone: Backbone, method: Method) -> list[torch.nn.Parameter]:
    seen = {id(p): p for p in [*backbone.model.parameters(), *method.parameters()]}
    return [p for p in seen.values() if p.requires_grad]


def train_steps(backbone: Backbone, method: Method, task_indices: list[int]) -> None:
    """A few AdamW steps on a dummy loss, one task per step as the training module does."""
    optimizer = torch.optim.AdamW(trainable_parameters(backbone, method), lr=1e-2)
    backbone.model.train()
    for step, task in enumerate(task_indices):
        optimizer.zero_grad(set_to_none=True)
        method.set_task(task)
        loss = outputs(backbone, batch(seed=10 + step)).pow(2).mean()
        loss.backward()
        optimizer.step()
    backbone.model.eval()
