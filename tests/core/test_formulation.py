"""The two formulations' data side: features and batches as each family's model expects them."""

from __future__ import annotations

import pytest
import torch
from omegaconf import OmegaConf

from hyperpeft.backbones import load_backbone, load_tokenizer
from hyperpeft.data.collate import IGNORE_INDEX, Collator
from hyperpeft.formulation import EncoderHeads, TextToText
from hyperpeft.tasks import get_task

COPA_ROWS = [
    {"idx": 0, "premise": "The man fell.", "choice1": "He slipped.", "choice2": "He sang.",
     "question": "cause", "label": 0},
    {"idx": 1, "premise": "It rained.", "choice1": "We stayed in.", "choice2": "We swam.",
     "question": "effect", "label": 1},
]  # fmt: skip
STSB_ROWS = [
    {"idx": 0, "sentence1": "A cat sits.", "sentence2": "A cat is sitting.", "label": 4.75},
    {"idx": 1, "sentence1": "Rain.", "sentence2": "The stock market fell sharply.", "label": 0.1},
]


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer(OmegaConf.create({"path": "minilm", "tokenizer": "minilm"}))


def batch_of(formulation, task, rows, tokenizer, max_length=64):
    examples = [formulation.example(task, row) for row in rows]
    features = formulation.encode(task, examples, tokenizer, max_length)
    collate = Collator(tokenizer.pad_token_id, 3, task, formulation)
    return features, collate(list(enumerate(features)))


def test_encoder_multiple_choice_is_one_sequence_per_choice_with_a_mask(tokenizer):
    task = get_task("copa")
    features, batch = batch_of(EncoderHeads(), task, COPA_ROWS, tokenizer)
    assert [len(f.input_ids) for f in features] == [2, 2]
    assert batch["task_index"] == 3 and batch["example_index"].tolist() == [0, 1]
    assert batch["input_ids"].shape[0] == 4  # batch * choices, flattened
    assert batch["choice_mask"].tolist() == [[True, True], [True, True]]
    assert batch["token_type_ids"].shape == batch["input_ids"].shape
    assert batch["labels"].tolist() == [0, 1] and batch["labels"].dtype == torch.long


def test_encoder_batches_pad_missing_choices_and_keep_one_visible_token(tokenizer):
    task = get_task("copa")
    features = EncoderHeads().encode(
        task, [task.encoder_example(row) for row in COPA_ROWS], tokenizer, 64
    )
    features[1].input_ids = features[1].input_ids[:1]  # an example with a single choice
    features[1].token_type_ids = features[1].token_type_ids[:1]
    batch = EncoderHeads().collate(task, features, tokenizer.pad_token_id)
    assert batch["choice_mask"].tolist() == [[True, True], [True, False]]
    padded_choice = batch["input_ids"][3]
    assert (padded_choice == tokenizer.pad_token_id).all()
    assert batch["attention_mask"][3].tolist()[:2] == [1, 0]


def test_encoder_regression_labels_are_floats(tokenizer):
    _, batch = batch_of(EncoderHeads(), get_task("stsb"), STSB_ROWS, tokenizer)
    assert batch["labels"].dtype == torch.float
    assert batch["labels"].tolist() == pytest.approx([4.75, 0.1])
    assert "choice_mask" not in batch


def test_text_to_text_targets_are_words_ending_in_the_end_token(tokenizer):
    task = get_task("stsb")
    features, batch = batch_of(TextToText(), task, STSB_ROWS, tokenizer)
    targets = [tokenizer.decode(f.target_ids[:-1]) for f in features]
    assert [t.replace(" ", "") for t in targets] == ["4.8", "0.2"]  # rounded to 0.2
    assert all(f.target_ids[-1] == tokenizer.sep_token_id for f in features)  # no EOS: [SEP]
    assert all(len(f.target_ids) <= task.max_target_tokens for f in features)
    longest = max(len(f.target_ids) for f in features)
    assert batch["labels"].shape == (2, longest)
    assert (batch["labels"] == IGNORE_INDEX).sum() == sum(
        longest - len(f.target_ids) for f in features
    )
    assert "token_type_ids" not in batch and "choice_mask" not in batch
    source = tokenizer.decode(features[0].input_ids[0], skip_special_tokens=True)
    assert source.startswith("stsb sentence1 :")


def test_text_to_text_choices_are_one_source(tokenizer):
    features, batch = batch_of(TextToText(), get_task("copa"), COPA_ROWS, tokenizer)
    assert [len(f.input_ids) for f in features] == [1, 1]
    assert batch["input_ids"].shape[0] == 2


def test_text_to_text_generation_agrees_with_the_tokenizer(tokenizer, conf_dir):
    cfg = OmegaConf.load(conf_dir / "model" / "tiny-t5.yaml")
    backbone = load_backbone(cfg)
    for config in (backbone.model.config, backbone.model.generation_config):
        assert config.pad_token_id == tokenizer.pad_token_id
        assert config.decoder_start_token_id == tokenizer.pad_token_id
        assert config.eos_token_id == tokenizer.sep_token_id


def test_only_encoders_get_heads():
    tasks = [get_task("rte"), get_task("stsb"), get_task("copa")]
    heads = EncoderHeads().heads(16, tasks, 0.0)
    assert [head.classifier.out_features for head in heads] == [2, 1, 1]
    assert TextToText().heads(16, tasks, 0.0) is None
