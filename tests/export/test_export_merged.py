"""`--format merged`: LoRA, BitFit (on BERT) and full fine-tuning folded into the backbone and
saved with `save_pretrained`; plain transformers loads the folder (and its tokenizer) and
computes what the run computes, task heads applied as task_heads.json describes them."""

from __future__ import annotations

import json

import pytest
import pytorch_lightning as pl
import torch
from transformers import AutoModel, AutoModelForSeq2SeqLM, AutoTokenizer

from hyperpeft.backbones import load_backbone
from hyperpeft.export.exporter import export_run
from hyperpeft.recipe import load_trained_run
from tests.export.compare import (
    ATOL,
    SENTENCES,
    batch,
    exported_head_logits,
    our_head_logits,
    our_outputs,
    outputs,
)

pytestmark = pytest.mark.e2e

FAST_LR = "trainer.learning_rate=0.05"  # a few steps that move the outputs visibly
RUNS = {
    ("tiny-bert", "lora"): ("model=tiny-bert", "method=lora", FAST_LR, "task=glue",
                            "task.tasks=[rte,stsb]"),
    ("tiny-t5", "lora"): ("model=tiny-t5", "method=lora", FAST_LR, "task=rte"),
    ("tiny-bert", "bitfit"): ("model=tiny-bert", "method=bitfit", FAST_LR, "task=rte"),
    ("tiny-t5", "full"): ("model=tiny-t5", "method=full", "trainer.learning_rate=1e-3",
                          "task=rte"),
}  # fmt: skip


@pytest.mark.parametrize(("model", "method"), sorted(RUNS))
def test_transformers_loads_the_merged_model_and_gives_our_outputs(
    model, method, trained_runs, tmp_path
):
    run = trained_runs(*RUNS[model, method])
    folder = tmp_path / "merged"
    exported = export_run(run, "merged", folder)
    assert exported.format == "merged" and (folder / "config.json").is_file()

    trained = load_trained_run(run)
    seq2seq = model == "tiny-t5"
    auto = AutoModelForSeq2SeqLM if seq2seq else AutoModel
    extra = {} if seq2seq else {"add_pooling_layer": False}
    merged = auto.from_pretrained(folder, **extra).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    inputs = batch(trained)
    firsts, seconds = zip(*SENTENCES, strict=True)
    again = tokenizer(list(firsts), list(seconds), padding=True, return_tensors="pt")
    assert torch.equal(again["input_ids"], inputs["input_ids"])  # the run's tokenizer

    theirs = outputs(merged, inputs, seq2seq)
    ours = our_outputs(trained, inputs)
    torch.testing.assert_close(theirs, ours, atol=ATOL, rtol=0)
    pl.seed_everything(trained.cfg.seed, verbose=False)  # the untrained backbone, as built
    untrained = outputs(load_backbone(trained.cfg.model).model.eval(), inputs, seq2seq)
    assert (ours - untrained).abs().max() > 100 * ATOL  # training moved what is compared
    if seq2seq:
        settings = {"max_new_tokens": 6, "do_sample": False, "num_beams": 1}
        plain = {"input_ids": inputs["input_ids"], "attention_mask": inputs["attention_mask"]}
        with torch.no_grad():
            expected = trained.module.backbone.generate(**plain, **settings)
            assert torch.equal(merged.generate(**plain, **settings), expected)
    else:
        mask = inputs["attention_mask"]
        got = exported_head_logits(folder, theirs, mask)
        expected = our_head_logits(trained, ours, mask)
        assert got.keys() == expected.keys() == {task.name for task in trained.tasks}
        rte = json.loads((folder / "task_heads.json").read_text())["tasks"]["rte"]
        assert rte["labels"] == ["entailment", "not_entailment"]
        assert rte["input_fields"] == ["sentence1", "sentence2"]
        for task in got:
            torch.testing.assert_close(got[task], expected[task], atol=ATOL, rtol=0)
