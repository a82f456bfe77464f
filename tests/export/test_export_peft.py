"""A LoRA run exported with `--format peft` is loaded by peft itself, `PeftModel.from_pretrained(
base, DIR)`, and computes what the run computes (tiny-bert and tiny-t5, trained a few steps with
a large learning rate, so that the update and the trained layer norms move the outputs by far
more than the tolerance)."""

from __future__ import annotations

import json

import pytest
import torch
from peft import PeftModel
from transformers import AutoModel, AutoModelForSeq2SeqLM

from hyperpeft.recipe import load_trained_run
from tests.export.compare import (
    ATOL,
    batch,
    exported_head_logits,
    our_head_logits,
    our_outputs,
    outputs,
)
from tests.helpers.commands import HYPERPEFT, run_command

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore:.*is_gradient_checkpointing")]

EXPORT = HYPERPEFT.with_name("hyperpeft-export")
LORA = ("method=lora", "method.train_layer_norms=true", "trainer.learning_rate=0.05")
RUNS = {
    "tiny-bert": ("model=tiny-bert", *LORA, "task=glue", "task.tasks=[rte,stsb]"),
    "tiny-t5": ("model=tiny-t5", *LORA, "task=rte"),
}


@pytest.mark.parametrize("model", sorted(RUNS))
def test_peft_loads_the_adapter_and_gives_our_outputs(model, trained_runs, tmp_path):
    run = trained_runs(*RUNS[model])
    folder = tmp_path / "adapter"
    done = run_command(EXPORT, str(run), "--format", "peft", "--output", str(folder), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "PeftModel.from_pretrained(" in done.stdout

    trained = load_trained_run(run)
    seq2seq = model == "tiny-t5"
    config = json.loads((folder / "adapter_config.json").read_text())
    method = trained.module.method
    assert config["peft_type"] == "LORA"
    assert (config["r"], config["lora_alpha"]) == (method.config.rank, method.config.alpha)
    assert sorted(config["target_modules"]) == sorted(k.replace("-", ".") for k in method.lora)
    assert config["modules_to_save"]  # the trained layer norms
    assert config["task_type"] == ("SEQ_2_SEQ_LM" if seq2seq else None)

    # the run's backbone was built from settings, so it is saved beside the adapter
    auto = AutoModelForSeq2SeqLM if seq2seq else AutoModel
    extra = {} if seq2seq else {"add_pooling_layer": False}
    base = auto.from_pretrained(folder / "base_model", **extra).eval()
    inputs = batch(trained)
    plain = outputs(base, inputs, seq2seq)
    peft_model = PeftModel.from_pretrained(base, str(folder)).eval()
    theirs = outputs(peft_model, inputs, seq2seq)
    ours = our_outputs(trained, inputs)

    assert (ours - plain).abs().max() > 100 * ATOL  # the adapter matters
    torch.testing.assert_close(theirs, ours, atol=ATOL, rtol=0)
    if seq2seq:
        with torch.no_grad():
            generated = peft_model.generate(
                input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                max_new_tokens=6, do_sample=False, num_beams=1,
            )  # fmt: skip
            expected = trained.module.backbone.generate(
                input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                max_new_tokens=6, do_sample=False, num_beams=1,
            )  # fmt: skip
        assert torch.equal(generated, expected)
        assert not (folder / "task_heads.json").exists()
    else:
        assert "task heads are not part of the peft format" in done.stdout
        mask = inputs["attention_mask"]
        got = exported_head_logits(folder, theirs, mask)
        expected = our_head_logits(trained, ours, mask)
        assert got.keys() == expected.keys() == {"rte", "stsb"}
        for task in got:
            torch.testing.assert_close(got[task], expected[task], atol=ATOL, rtol=0)
