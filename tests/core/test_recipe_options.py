"""The reference code's recipe options: label smoothing (per method, never on regression), no
weight decay on layer norms, biases and embeddings, and regression heads that start at the mean
training label."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from hyperpeft.config import compose_config, register_configs
from hyperpeft.data.collate import IGNORE_INDEX
from hyperpeft.formulation import TextToText
from hyperpeft.formulation.heads import TaskHead
from hyperpeft.methods import METHOD_NAMES
from hyperpeft.recipe.build import build_module, build_parts, label_smoothing
from hyperpeft.recipe.data import prepare_data
from hyperpeft.tasks import get_task
from hyperpeft.tasks.head import Head
from hyperpeft.training.module import MultiTaskModule
from hyperpeft.training.optim import decay_groups
from tests.helpers.tiny_models import BACKBONES, attach, batch

# The Hyperformer reference configs (adapters, hyperformer, hyperformer++, finetune) smooth by
# 0.1; the Compacter reference's configs do not smooth; LoRA has neither reference.
SMOOTHED = {"full", "adapter", "hyperformer", "hyperformer++"}

register_configs()  # as the CLI does before composing


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_label_smoothing_defaults_to_the_methods_reference_recipe(name):
    meta_t5_base = [f"method={name}", "model=t5-base", "model.pretrained=false"]
    cfg = compose_config(meta_t5_base)
    parts = build_parts(cfg, dry_run=True)  # shapes only, nothing allocated
    assert label_smoothing(cfg, parts.method) == (0.1 if name in SMOOTHED else 0.0)
    assert build_module(cfg, parts).label_smoothing == label_smoothing(cfg, parts.method)
    chosen = compose_config([*meta_t5_base, "trainer.label_smoothing=0.05"])
    assert build_module(chosen, parts).label_smoothing == 0.05


def test_classification_loss_is_smoothed_over_the_classes():
    head = TaskHead(8, Head.CLASSIFICATION, 3, dropout=0.0)
    logits, labels = torch.randn(5, 3), torch.tensor([0, 2, 1, 1, 0])
    assert torch.equal(head.loss(logits, labels), F.cross_entropy(logits, labels))
    smoothed = head.loss(logits, labels, label_smoothing=0.1)
    assert torch.allclose(smoothed, F.cross_entropy(logits, labels, label_smoothing=0.1))
    assert not torch.allclose(smoothed, head.loss(logits, labels))


def test_multiple_choice_smoothing_spreads_over_the_real_choices_only():
    head = TaskHead(8, Head.MULTIPLE_CHOICE, 1, dropout=0.0)
    mask = torch.tensor([[True, True, True], [True, True, False]])
    scores = head(torch.randn(6, 8), mask)  # the padded choice gets the dtype's minimum
    labels = torch.tensor([2, 0])
    loss = head.loss(scores, labels, 0.2, mask)
    assert torch.isfinite(loss)
    log_p = scores.log_softmax(-1)
    first = 0.8 * -log_p[0, 2] + 0.2 * -log_p[0].mean()
    second = 0.8 * -log_p[1, 0] + 0.2 * -log_p[1, :2].mean()
    assert torch.allclose(loss, (first + second) / 2)
    full = torch.ones_like(mask)
    scores = head(torch.randn(6, 8), full)
    expected = F.cross_entropy(scores, labels, label_smoothing=0.2)
    assert torch.allclose(head.loss(scores, labels, 0.2, full), expected)


def test_regression_is_never_smoothed():
    head = TaskHead(8, Head.REGRESSION, 1, dropout=0.0)
    predictions, labels = torch.randn(4), torch.rand(4) * 5
    assert torch.equal(head.loss(predictions, labels, 0.1), F.mse_loss(predictions, labels))


def test_text_to_text_token_loss_is_the_models_own_unsmoothed_and_smoothed_over_the_vocabulary():
    model = BACKBONES["t5"]().model
    inputs = batch()
    labels = torch.tensor([[5, 6, 1], [7, 1, IGNORE_INDEX], [8, 9, 1]])
    t5_batch = {**inputs, "labels": labels}
    formulation = TextToText()
    plain = formulation.loss(model, None, t5_batch)
    assert torch.equal(plain, model(**inputs, labels=labels).loss)
    logits = model(**inputs, labels=labels).logits
    log_p = logits.log_softmax(-1)[labels != IGNORE_INDEX]  # (target tokens, vocab)
    kept = labels[labels != IGNORE_INDEX]
    nll = -log_p.gather(-1, kept[:, None]).squeeze(-1)
    expected = (0.9 * nll + 0.1 * -log_p.mean(-1)).mean()
    smoothed = formulation.loss(model, None, t5_batch, label_smoothing=0.1)
    assert torch.allclose(smoothed, expected, atol=1e-6)
    assert torch.allclose(formulation.loss(model, None, t5_batch, 0.0), plain)


def _module(architecture: str, method: str, tasks=("rte", "stsb")) -> MultiTaskModule:
    backbone = BACKBONES[architecture]()
    method_ = attach(method, backbone, tasks=list(tasks))
    return MultiTaskModule(backbone, method_, [get_task(t) for t in tasks], learning_rate=1e-3)


def _groups(architecture: str, method: str, tasks=("rte", "stsb")):
    """The module, and the (decayed, never decayed) names of its optimizer's two groups."""
    module = _module(architecture, method, tasks)
    module.weight_decay = 0.01
    optimizer = module.configure_optimizers()["optimizer"]
    names = {id(p): n for n, p in module.named_parameters()}
    groups = {
        g["weight_decay"]: {names[id(p)] for p in g["params"]} for g in optimizer.param_groups
    }
    assert set(groups) <= {0.01, 0.0}
    return module, groups.get(0.01, set()), groups[0.0]


@pytest.mark.parametrize("architecture", sorted(BACKBONES))
def test_weight_decay_spares_layer_norms_biases_and_embeddings(architecture):
    module, decayed, exempt = _groups(architecture, "hyperformer++")
    trainable = {n for n, p in module.named_parameters() if p.requires_grad}
    assert decayed | exempt == trainable and not decayed & exempt
    assert all(module.get_parameter(n).dim() == 2 for n in decayed)  # weight matrices only
    assert {n for n in trainable if "bias" in n} <= exempt
    assert {n for n in trainable if n.startswith("backbone.")} <= exempt  # its layer norms
    embeddings = {n for n in trainable if "_embeddings." in n}  # task, layer id, position
    assert len(embeddings) == 2 + len(module.method.layers) * 2 and embeddings <= exempt
    assert {n for n in trainable if "source_norm" in n} <= exempt
    generators = {n for n in trainable if n.endswith(("generator.weight", "projector.0.weight"))}
    assert generators and generators <= decayed
    if architecture == "bert":
        assert {"heads.0.classifier.weight", "heads.1.classifier.weight"} <= decayed


def test_full_fine_tuning_decays_matrices_but_not_embeddings_or_norms():
    _, decayed, exempt = _groups("bert", "full", tasks=("rte",))
    assert "backbone.embeddings.word_embeddings.weight" in exempt
    assert "backbone.embeddings.LayerNorm.weight" in exempt
    assert "backbone.encoder.layer.0.attention.self.query.weight" in decayed
    assert "backbone.encoder.layer.0.attention.self.query.bias" in exempt


def test_adapters_output_norms_and_t5_bitfits_added_biases_are_not_decayed():
    _, decayed, exempt = _groups("bert", "adapter")
    assert any(n.startswith("method.norms.") for n in exempt)
    assert not any(n.startswith("method.norms.") for n in decayed)
    assert any(n.endswith("down.weight") for n in decayed)
    _, decayed, exempt = _groups("t5", "bitfit")
    assert not decayed and any(n.startswith("method.biases.") for n in exempt)


def test_decay_groups_take_each_shared_parameter_once():
    module = _module("bert", "lora")
    groups = decay_groups(module, 0.1, lambda m: False)
    ids = [id(p) for g in groups for p in g["params"]]
    assert len(ids) == len(set(ids)) == sum(p.requires_grad for p in module.parameters())


def test_a_regression_head_starts_at_the_mean_training_label(inprocess):
    overrides = ("model=tiny-bert", "method=adapter", "method.reduction_factor=8", "task=stsb")
    limits = ("data.max_train_examples=64", "data.max_eval_examples=24", "trainer.max_steps=0")
    done = inprocess(*overrides, *limits)
    saved = load_file(str(done.run_dir / "checkpoint" / "model.safetensors"))
    cfg = compose_config([*overrides, *limits])
    labels = [f.label for f in prepare_data(cfg, build_parts(cfg)).task_data[0].features["train"]]
    mean = sum(labels) / len(labels)
    assert len(labels) == 64 and 1.0 < mean < 4.0  # STS-B's 0-5 scores
    assert torch.allclose(saved["heads.0.classifier.bias"], torch.tensor([mean]))
