"""The peer cells' data and scoring, without the peers' environment: our export read back (same
token ids as our data path), the worker's loop on a tiny BERT over that file, and its
predictions scored by hyperpeft's metrics into a results.json the report reads."""

from __future__ import annotations

import os
import random

import pytest
import torch
from transformers import BertConfig, BertModel

from benchmarks.quality import grid
from benchmarks.quality.budget import Budget
from benchmarks.quality.commands import run_overrides
from benchmarks.quality.peer_data import load_task_tensors
from benchmarks.quality.peer_export import compose_run, export_task_tensors
from benchmarks.quality.peer_score import best_evaluation, peer_result, task_examples
from benchmarks.quality.peer_worker import (
    Head,
    decay_groups,
    evaluation_steps,
    predict_split,
    train_and_evaluate,
)
from benchmarks.quality.peers import ours_of
from hyperpeft.backbones import load_backbone
from hyperpeft.data.task_data import build_task_data
from hyperpeft.results import RunResult
from hyperpeft.tasks import get_task

STEPS = 4
CELL = next(cell for cell in grid.build_grid() if cell.id == "rte.adapters-seq_bn.s1")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The peer cell's config (a tiny BERT, a few examples) and the tensors file of its data."""
    tmp = tmp_path_factory.mktemp("peer")
    user = [
        "model=tiny-bert",
        "data.max_train_examples=40",
        "data.max_eval_examples=20",
        f"data.cache_dir={tmp / 'cache'}",
    ]
    cfg = compose_run(run_overrides(ours_of(CELL), Budget(steps=STEPS), tmp / "cells", user))
    meta = export_task_tensors(cfg, tmp / "data.pt")
    return cfg, meta, tmp / "data.pt"


def our_features(cfg):
    backbone = load_backbone(cfg.model, device="meta")
    limits = {"train": 40, "validation": 20, "test": 20}
    data, _ = build_task_data(
        get_task("rte"),
        backbone.tokenizer,
        backbone.formulation,
        os.environ["HYPERPEFT_DATA_DIR"],
        cfg.seed,
        cfg.model.max_length,
        limits,
        cfg.data.cache_dir,
    )
    return data.features


def rows_of(batch: dict) -> list[tuple[list[int], list[int], object]]:
    rows = []
    for ids, mask, types, label in zip(
        batch["input_ids"],
        batch["attention_mask"],
        batch["token_type_ids"],
        batch["labels"],
        strict=True,
    ):
        keep = mask.bool()
        rows.append((ids[keep].tolist(), types[keep].tolist(), label.item()))
    return rows


def test_the_export_reads_back_as_our_data_paths_token_ids(exported):
    cfg, meta, path = exported
    assert cfg.method.name == "adapter" and cfg.seed == 1  # the matched cell of ours
    splits, saved_meta = load_task_tensors(path)
    assert saved_meta == meta
    assert meta["task"] == "rte" and meta["head"] == "classification" and meta["num_labels"] == 2
    assert len(splits["train"]) == STEPS  # the run's batches, one per step
    assert all(len(batch["input_ids"]) == 16 for batch in splits["train"])
    features = our_features(cfg)
    for split in ("train", "validation", "test"):
        seen = set()
        for batch in splits[split]:
            for index, row in zip(batch["example_index"].tolist(), rows_of(batch), strict=True):
                ours = features[split][index]
                assert row == (ours.input_ids[0], ours.token_type_ids[0], ours.label)
                seen.add(index)
        if split != "train":  # every example of the halves, once
            assert seen == set(range(len(features[split]))) and meta["sizes"][split] == len(seen)


def tiny_bert() -> BertModel:
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=30522, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=128,
    )  # fmt: skip
    return BertModel(config, add_pooling_layer=False)


MATCHED = {
    "learning_rate": 1e-3,
    "weight_decay": 0.01,
    "warmup_ratio": 0.25,
    "gradient_clip": 1.0,
    "label_smoothing": 0.1,
}


def test_the_worker_trains_on_every_batch_and_predicts_each_half_at_every_evaluation(exported):
    _, meta, path = exported
    splits, _ = load_task_tensors(path)
    model, head = tiny_bert(), Head(16, meta["head"], meta["num_labels"], dropout=0.1)
    before = head.classifier.weight.detach().clone()
    trained = train_and_evaluate(model, head, splits, MATCHED, eval_every=2)
    assert trained["steps"] == STEPS and [e["step"] for e in trained["evaluations"]] == [2, 4]
    for evaluation in trained["evaluations"]:
        assert len(evaluation["validation"]) == meta["sizes"]["validation"]
        assert len(evaluation["test"]) == meta["sizes"]["test"]
        assert set(evaluation["test"]) <= {0, 1}
    assert not torch.equal(before, head.classifier.weight)
    assert trained["trainable"] == sum(p.numel() for p in [*model.parameters(), *head.parameters()])


def test_predictions_come_in_example_order_whatever_the_batch_order(exported):
    _, meta, path = exported
    splits, _ = load_task_tensors(path)
    model, head = tiny_bert(), Head(16, meta["head"], meta["num_labels"], dropout=0.0)
    in_order = predict_split(model, head, splits["validation"])
    shuffled = list(splits["validation"])
    random.Random(0).shuffle(shuffled)
    assert predict_split(model, head, shuffled) == in_order


def test_evaluations_every_interval_and_no_decay_for_norms_biases_and_embeddings():
    assert evaluation_steps(300, 50) == [50, 100, 150, 200, 250, 300]
    assert evaluation_steps(20, 4)[-1] == 20
    model = tiny_bert()
    decayed, exempt = decay_groups([model], 0.01)
    names = {id(p): n for n, p in model.named_parameters()}
    assert all(names[id(p)].endswith("weight") for p in decayed["params"])
    assert not any(
        "LayerNorm" in names[id(p)] or "embeddings" in names[id(p)] for p in decayed["params"]
    )
    assert exempt["weight_decay"] == 0.0
    assert len(decayed["params"]) + len(exempt["params"]) == len(list(model.parameters()))


def test_the_best_validation_evaluation_is_reported_with_our_metrics(exported, tmp_path):
    cfg, meta, _ = exported
    task, examples = task_examples(cfg)
    gold = {
        split: [example.label for example in examples[split]] for split in ("validation", "test")
    }
    wrong = {split: [1 - label for label in labels] for split, labels in gold.items()}
    evaluations = [
        {"step": 2, "validation": wrong["validation"], "test": gold["test"]},
        {"step": 4, "validation": gold["validation"], "test": wrong["test"]},
        {"step": 6, "validation": gold["validation"], "test": gold["test"]},  # equal: the first
    ]
    best = best_evaluation(task, evaluations, examples)
    assert best["step"] == 4 and best["validation"]["score"] == 1.0 and best["test"]["score"] == 0.0
    worker = {"evaluations": evaluations, "steps": 6, "backbone": 1000, "trainable": 10,
              "step_time_s": 0.5, "peak_memory_mb": 900.0, "wall_time_s": 12.0,
              "versions": {"adapters": "1.3.0"}}  # fmt: skip
    matched = {"method": "adapter", "name": "adapter", "reduction_factor": 32, **MATCHED}
    result = peer_result(cfg, "adapters:seq_bn", matched, worker, task, examples)
    result.write(tmp_path)
    read = RunResult.read(tmp_path)
    assert read.method == "adapters:seq_bn" and read.tasks == ("rte",) and read.seed == 1
    assert read.trainable == 10 and read.trainable_pct == pytest.approx(1.0)
    assert read.score == 0.0 and read.validation_score == 1.0 and read.best_step == 4
    assert read.metrics["rte"]["accuracy"] == 0.0
    assert read.config["method"]["name"] == "adapters:seq_bn"
    assert read.config["method"]["matched_to"] == "adapter"
    assert read.plottable
