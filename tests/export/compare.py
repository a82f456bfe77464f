"""What the export tests compare: a trained run's outputs, ours (the method attached by hooks)
against a model other libraries loaded from the exported folder, on the same batch."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file

from hyperpeft.formulation.heads import masked_mean
from hyperpeft.recipe import TrainedRun

ATOL = 1e-5
SENTENCES = [
    ("A man is playing a guitar on the stage.", "Music is played."),
    ("The cat sleeps.", "A dog barks loudly at the postman every morning."),
]


def batch(trained: TrainedRun) -> dict[str, torch.Tensor]:
    firsts, seconds = zip(*SENTENCES, strict=True)
    return dict(
        trained.module.tokenizer(list(firsts), list(seconds), padding=True, return_tensors="pt")
    )


def decoder_start(inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """A few decoder tokens to teacher-force (any ids will do: both sides get the same)."""
    return inputs["input_ids"][:, :4]


@torch.no_grad()
def outputs(model: torch.nn.Module, inputs: dict[str, torch.Tensor], seq2seq: bool) -> torch.Tensor:
    """Encoder: the last hidden states; encoder-decoder: teacher-forced logits."""
    if seq2seq:
        plain = {k: v for k, v in inputs.items() if k != "token_type_ids"}
        return model(**plain, decoder_input_ids=decoder_start(inputs)).logits
    return model(**inputs).last_hidden_state


@torch.no_grad()
def our_outputs(trained: TrainedRun, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    trained.module.method.set_task(0)
    return outputs(trained.module.backbone, inputs, trained.module.heads is None)


@torch.no_grad()
def our_head_logits(trained: TrainedRun, hidden: torch.Tensor, mask: torch.Tensor) -> dict:
    pooled = masked_mean(hidden, mask)
    return {
        task.name: head(pooled, None)
        for task, head in zip(trained.module.tasks, trained.module.heads, strict=True)
    }


@torch.no_grad()
def exported_head_logits(folder: Path, hidden: torch.Tensor, mask: torch.Tensor) -> dict:
    """The heads as task_heads.json tells a user to apply them."""
    info = json.loads((folder / "task_heads.json").read_text())
    tensors = load_file(str(folder / info["file"]))
    pooled = masked_mean(hidden, mask)
    logits = {}
    for task, spec in info["tasks"].items():
        out = pooled @ tensors[spec["weight"]].T + tensors[spec["bias"]]
        logits[task] = out.squeeze(-1) if spec["head"] == "regression" else out
    return logits
