"""Predictions with probabilities, on rows without labels: what `hyperpeft-predict` asks of the
two formulations. The predictions are `predict`'s own; the probabilities agree with them
(encoders) or with the model's likelihood of each label word (text-to-text)."""

from __future__ import annotations

import pytest
import torch
from omegaconf import OmegaConf

from hyperpeft.backbones import load_backbone
from hyperpeft.data.collate import Collator
from hyperpeft.tasks import get_task

PAIRS = [
    {"sentence1": "A man is eating food.", "sentence2": "Someone eats."},
    {"sentence1": "The cat sleeps.", "sentence2": "A dog runs in the park very fast."},
    {"sentence1": "It rains.", "sentence2": "The streets are wet."},
]
COPA = [
    {"premise": "The man fell.", "question": "cause", "choice1": "He slipped.", "choice2": "No."},
]


def backbone_of(conf_dir, name):
    torch.manual_seed(0)
    return load_backbone(OmegaConf.load(conf_dir / "model" / f"{name}.yaml"))


def unlabelled_batch(backbone, task, records, task_index=0):
    formulation = backbone.formulation
    rows = [task.input_row(record, i) for i, record in enumerate(records)]
    examples = [formulation.example(task, row) for row in rows]
    features = formulation.encode(task, examples, backbone.tokenizer, 64)
    collate = Collator(backbone.tokenizer.pad_token_id, task_index, task, formulation)
    return collate(list(enumerate(features)))


def test_a_batch_without_labels_has_no_labels(conf_dir):
    backbone = backbone_of(conf_dir, "tiny-bert")
    batch = unlabelled_batch(backbone, get_task("rte"), PAIRS)
    assert "labels" not in batch and batch["input_ids"].shape[0] == 3


@pytest.mark.parametrize("task_name", ["rte", "copa", "stsb"])
def test_encoder_probabilities_are_the_heads_softmax(conf_dir, task_name):
    backbone = backbone_of(conf_dir, "tiny-bert")
    task = get_task(task_name)
    heads = backbone.formulation.heads(backbone.hidden_size, [task], 0.0).eval()
    records = COPA if task_name == "copa" else PAIRS
    batch = unlabelled_batch(backbone, task, records)
    with torch.no_grad():
        predictions, probabilities = backbone.formulation.predict_with_probabilities(
            backbone.model.eval(), heads, batch, task, backbone.tokenizer
        )
        plain = backbone.formulation.predict(backbone.model, heads, batch, task, None)
    assert predictions == plain
    if task_name == "stsb":
        assert probabilities is None
        return
    width = 2  # rte's two classes, copa's two choices
    assert [len(p) for p in probabilities] == [width] * len(records)
    assert all(sum(p) == pytest.approx(1.0, abs=1e-6) for p in probabilities)
    assert predictions == [max(range(width), key=p.__getitem__) for p in probabilities]


def test_text_to_text_probabilities_are_label_word_likelihoods(conf_dir):
    backbone = backbone_of(conf_dir, "tiny-t5")
    model, tokenizer, task = backbone.model.eval(), backbone.tokenizer, get_task("cb")
    batch = unlabelled_batch(
        backbone, task, [{"premise": r["sentence1"], "hypothesis": r["sentence2"]} for r in PAIRS]
    )
    with torch.no_grad():
        predictions, probabilities = backbone.formulation.predict_with_probabilities(
            model, None, batch, task, tokenizer
        )
        # the same likelihoods another way: each label's mean token loss, times its length
        scores = []
        for word in task.label_names:
            ids = tokenizer(word, add_special_tokens=False)["input_ids"] + [tokenizer.sep_token_id]
            labels = torch.tensor([ids] * len(PAIRS))
            logits = model(batch["input_ids"], batch["attention_mask"], labels=labels).logits
            losses = torch.nn.functional.cross_entropy(
                logits.transpose(1, 2), labels, reduction="none"
            )
            scores.append(-losses.sum(-1))
        expected = torch.stack(scores, -1).softmax(-1)
    assert predictions == backbone.formulation.predict(model, None, batch, task, tokenizer)
    assert torch.allclose(torch.tensor(probabilities), expected, atol=1e-5)
    assert [len(p) for p in probabilities] == [3] * len(PAIRS)


def test_text_to_text_gives_no_probabilities_outside_classification(conf_dir):
    backbone = backbone_of(conf_dir, "tiny-t5")
    task = get_task("stsb")
    batch = unlabelled_batch(backbone, task, PAIRS)
    with torch.no_grad():
        _, probabilities = backbone.formulation.predict_with_probabilities(
            backbone.model.eval(), None, batch, task, backbone.tokenizer
        )
    assert probabilities is None


def test_encoder_choice_probabilities_cover_each_examples_own_choices(conf_dir):
    """ReCoRD's examples have as many choices as candidates; padded choices get no share."""
    backbone = backbone_of(conf_dir, "tiny-bert")
    task = get_task("record")
    heads = backbone.formulation.heads(backbone.hidden_size, [task], 0.0).eval()
    records = [
        {"passage": "Ann met Bob.", "query": "@placeholder met Bob.", "entities": ["Ann", "Bob"]},
        {"passage": "X, Y and Z.", "query": "@placeholder.", "entities": ["X", "Y", "Z"]},
    ]
    batch = unlabelled_batch(backbone, task, records)
    with torch.no_grad():
        predictions, probabilities = backbone.formulation.predict_with_probabilities(
            backbone.model.eval(), heads, batch, task, None
        )
    assert [len(p) for p in probabilities] == [2, 3]
    assert all(sum(p) == pytest.approx(1.0, abs=1e-6) for p in probabilities)
    assert all(0 <= i < len(p) for i, p in zip(predictions, probabilities, strict=True))
