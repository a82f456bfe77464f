"""Parameter counts: closed-form formulas, and the papers' percentages on T5-base.

Backbones are built on the meta device: shapes without memory, so T5-base (222.9M) is instant.
"""

from __future__ import annotations

import pytest
import torch
from transformers import BertConfig, BertModel, T5Config, T5ForConditionalGeneration

from hyperpeft.accounting import count_parameters
from hyperpeft.backbones.backbone import Backbone
from hyperpeft.methods import build_method

GLUE = ["rte", "sst2", "mrpc", "stsb", "qqp", "mnli", "qnli", "cola"]


def meta_t5(d: int, d_ff: int, enc: int, dec: int, heads: int = 4, d_kv: int = 16) -> Backbone:
    config = T5Config(
        d_model=d, d_ff=d_ff, num_layers=enc, num_decoder_layers=dec, num_heads=heads,
        d_kv=d_kv, vocab_size=32128,
    )  # fmt: skip
    with torch.device("meta"):
        model = T5ForConditionalGeneration(config)
    return Backbone.of(model, None, "t5")


def meta_bert(d: int, layers: int, intermediate: int, heads: int = 4) -> Backbone:
    config = BertConfig(
        hidden_size=d, num_hidden_layers=layers, num_attention_heads=heads,
        intermediate_size=intermediate, vocab_size=30522,
    )  # fmt: skip
    with torch.device("meta"):
        model = BertModel(config)
    return Backbone.of(model, None, "bert")


def method_size(name: str, backbone: Backbone, tasks: list[str], **cfg) -> int:
    method = build_method({"name": name, **cfg}, backbone, tasks)
    return sum(p.numel() for p in method.parameters())


# (backbone factory, layers per stack); T5 decoders get one layer more than encoders.
SHAPES = [
    (lambda: meta_bert(48, 2, 96), {"encoder": 2}),
    (lambda: meta_bert(96, 3, 64), {"encoder": 3}),
    (lambda: meta_t5(48, 96, 2, 3, d_kv=12), {"encoder": 2, "decoder": 3}),
    (lambda: meta_t5(96, 64, 3, 4, heads=6, d_kv=8), {"encoder": 3, "decoder": 4}),
]


@pytest.mark.parametrize("make, layers", SHAPES)
@pytest.mark.parametrize("rf, n, r, tasks", [(4, 4, 1, 1), (8, 2, 3, 2), (2, 12, 2, 3)])
def test_adapter_family_counts_equal_their_formulas(make, layers, rf, n, r, tasks):
    backbone = make()
    d = backbone.hidden_size
    k = d // rf
    if k % n:
        pytest.skip("phm_dim must divide the bottleneck")
    names = [f"t{i}" for i in range(tasks)]
    sites = 2 * sum(layers.values())  # attention + feed-forward in every layer
    ff_sites = sum(layers.values())

    adapter = 2 * d * k + d + k
    output_norm = 2 * d  # one per attach point, shared by the tasks (reference AdapterController)
    got = method_size("adapter", backbone, names, reduction_factor=rf)
    assert got == tasks * sites * adapter + sites * output_norm
    got = method_size("adapter", backbone, names, reduction_factor=rf, layer_norm_after=False)
    assert got == tasks * sites * adapter

    compacter = 2 * r * (d + k) + d + k  # B_i = s_i t_i^T: r(d/n + k/n) per i, n of them
    shared_rule = n**3
    got = method_size("compacter", backbone, names, reduction_factor=rf, phm_dim=n, phm_rank=r)
    assert got == tasks * sites * compacter + shared_rule
    got = method_size("compacter++", backbone, names, reduction_factor=rf, phm_dim=n, phm_rank=r)
    assert got == tasks * ff_sites * compacter + shared_rule

    phm = 2 * (d * k // n) + 2 * n**3 + d + k  # full-rank B_i, a rule per PHM layer
    got = method_size("phm-adapter", backbone, names, reduction_factor=rf, phm_dim=n)
    assert got == tasks * sites * phm


@pytest.mark.parametrize("make, layers", SHAPES)
@pytest.mark.parametrize("e, h, s, rf, tasks", [(64, 128, 64, 4, 8), (8, 16, 4, 2, 3)])
def test_hyperformer_counts_equal_their_formulas(make, layers, e, h, s, rf, tasks):
    backbone = make()
    d = backbone.hidden_size
    k = d // rf
    cfg = dict(task_embedding_dim=e, projector_hidden_dim=h, source_dim=s, reduction_factor=rf)
    names = [f"t{i}" for i in range(tasks)]
    positions = 2
    generated = 2 * d * k + k + d + 2 * d  # down/up weights and biases, layer norm gamma/beta
    generator = (s + 1) * generated
    task_embeddings = tasks * e

    per_stack = {
        stack: n_layers * e + positions * e  # layer-id and position embeddings
        + (3 * e * h + h) + (h * s + s) + 2 * s  # task projector and its LayerNorm
        + generator  # one, shared by the positions
        for stack, n_layers in layers.items()
    }  # fmt: skip
    got = method_size("hyperformer++", backbone, names, **cfg)
    assert got == task_embeddings + sum(per_stack.values())

    per_stack = {
        stack: n_layers * e  # layer-id embeddings, no position embedding
        + (2 * e * h + h) + (h * s + s) + 2 * s  # task projector and its LayerNorm
        + positions * generator  # one per position
        for stack, n_layers in layers.items()
    }  # fmt: skip
    got = method_size("hyperformer", backbone, names, **cfg)
    assert got == task_embeddings + sum(per_stack.values())


@pytest.mark.parametrize("rank", [1, 8])
def test_lora_counts_equal_their_formula(rank):
    bert = meta_bert(96, 3, 64)
    assert method_size("lora", bert, []) == 3 * 2 * 8 * (96 + 96)
    assert method_size("lora", bert, [], rank=rank) == 3 * 2 * rank * (96 + 96)
    t5 = meta_t5(96, 64, 3, 4, heads=6, d_kv=8)  # inner dim 48 != d_model
    targets = 3 * 2 + 4 * 4  # q, v of self-attention; decoder also of cross-attention
    assert method_size("lora", t5, [], rank=rank) == targets * rank * (96 + 48)


def t5_base() -> Backbone:
    return meta_t5(768, 3072, 12, 12, heads=12, d_kv=64)


T5_BASE_LAYER_NORMS = (2 * 12 + 1 + 3 * 12 + 1) * 768


def test_t5_base_backbone_size():
    backbone = t5_base()
    method = build_method({"name": "lora"}, backbone, [])
    assert count_parameters(backbone.model, method)["backbone"] == 222_903_552


# The Compacter paper's adapter is its reference's adapters.json: no layer norm after the adapter.
@pytest.mark.parametrize(
    "name, overrides, paper_pct",
    [
        ("compacter++", {}, 0.047),
        ("compacter", {}, 0.073),
        ("phm-adapter", {}, 0.179),
        ("adapter", {"layer_norm_after": False}, 0.832),
    ],
)
def test_t5_base_single_task_percentages_match_the_compacter_paper(name, overrides, paper_pct):
    backbone = t5_base()
    method = build_method({"name": name, **overrides}, backbone, ["rte"])
    counts = count_parameters(backbone.model, method)
    assert round(counts["trainable_pct"], 3) == paper_pct
    assert counts["trainable"] - sum(p.numel() for p in method.parameters()) == T5_BASE_LAYER_NORMS


def test_t5_base_hyperformer_plus_plus_per_task_percentage_matches_the_paper():
    backbone = t5_base()
    method = build_method({"name": "hyperformer++"}, backbone, GLUE)
    counts = count_parameters(backbone.model, method)
    assert counts["tasks"] == 8
    assert round(counts["per_task_pct"], 2) == 0.29
    assert counts["per_task"] == pytest.approx(counts["trainable"] / 8)


def reference_hyperformer_size(tasks: int, layers: dict[str, int]) -> int:
    """The reference's `hyperformer.json` on T5-base (rabeehk/hyperformer), from its code.

    `task_embedding_dim` 64 (the json's later value), `projected_task_embedding_dim` 64,
    `task_hidden_dim` 128, `reduction_factor` 32, `conditional_layer_norm`, layer norm after the
    adapter (default), `unique_hyper_net` with its LayerNorm (default), `train_task_embeddings`
    off. `TaskEmbeddingController` holds one N(0, 1) vector per task for the model; every T5Stack
    has an `AdapterLayersHyperNetController`: `nn.Embedding(num_layers, 64)`, a `TaskHyperNet`
    over [task; layer id] (128 -> 128 -> 64, biased), `nn.LayerNorm(64)`, and per position
    (feed-forward, self-attention) `AdapterLayersHyperNet`s for up and down (a weight and a bias
    generator each, `nn.Linear(64, ...)`) and a `LayerNormHyperNet` (gamma and beta generators).
    """
    d, k, e, h, p = 768, 768 // 32, 64, 128, 64
    linear = lambda fan_in, fan_out: fan_in * fan_out + fan_out  # noqa: E731
    per_position = (
        linear(p, d * k) + linear(p, d)  # up sampler: weight (d, k), bias d
        + linear(p, k * d) + linear(p, k)  # down sampler: weight (k, d), bias k
        + 2 * linear(p, d)  # post layer norm: gamma, beta
    )  # fmt: skip
    per_stack = {
        stack: n_layers * e  # layer_id_embeddings
        + linear(2 * e, h) + linear(h, p)  # task_hypernet
        + 2 * p  # LayerNorm
        + 2 * per_position
        for stack, n_layers in layers.items()
    }  # fmt: skip
    return tasks * e + sum(per_stack.values())


# hyperformer.json on T5-base with the 8 GLUE tasks: 10,241,760 parameters, 4.59% of T5-base.
REFERENCE_HYPERFORMER_T5_BASE_GLUE = 10_241_760


def test_t5_base_hyperformer_has_the_reference_hyperformer_json_size():
    assert reference_hyperformer_size(8, {"encoder": 12, "decoder": 12}) == (
        REFERENCE_HYPERFORMER_T5_BASE_GLUE
    )
    backbone = t5_base()
    method = build_method({"name": "hyperformer"}, backbone, GLUE)
    assert sum(p.numel() for p in method.parameters()) == REFERENCE_HYPERFORMER_T5_BASE_GLUE
    counts = count_parameters(backbone.model, method)
    assert counts["trainable"] == REFERENCE_HYPERFORMER_T5_BASE_GLUE + T5_BASE_LAYER_NORMS
    assert round(counts["trainable_pct"], 2) == 4.62  # with the layer norms, as the papers count
    assert counts["trainable"] < 8 * method_size("adapter", t5_base(), ["rte"])  # the adapters'


def test_extra_modules_count_as_trainable_once():
    backbone = meta_bert(48, 2, 96)
    method = build_method({"name": "lora"}, backbone, ["rte"])
    with torch.device("meta"):
        head = torch.nn.Linear(48, 3)
    base = count_parameters(backbone.model, method)
    with_head = count_parameters(backbone.model, method, extra_modules=[head, head])
    assert with_head["trainable"] == base["trainable"] + 48 * 3 + 3
    assert with_head["backbone"] == base["backbone"]
