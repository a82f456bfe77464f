"""An encoder run's task heads, beside an exported backbone: formats other libraries read know
nothing of them, so they are one safetensors file and a small JSON that says how to use them.

    task_heads.safetensors   <task>.weight [outputs, hidden], <task>.bias [outputs]
    task_heads.json          pooling, and per task its head kind, labels and input fields

A head reads the mean of the backbone's `last_hidden_state` over the attention mask (see
hyperpeft/formulation/heads.py): `logits = pooled @ weight.T + bias`.
"""

from __future__ import annotations

import json
from pathlib import Path

from safetensors.torch import save_file

from hyperpeft.tasks import Head
from hyperpeft.training.module import MultiTaskModule

HEADS_FILE = "task_heads.safetensors"
HEADS_INFO = "task_heads.json"
POOLING = "mean of last_hidden_state over the attention mask (padding left out)"
OUTPUTS = {
    Head.CLASSIFICATION: "one logit per label; softmax for probabilities",
    Head.REGRESSION: "one number (output 0)",
    Head.MULTIPLE_CHOICE: "one score per choice: each (context, choice) pair is encoded on its "
    "own, the highest score wins",
}


def write_task_heads(module: MultiTaskModule, folder: Path) -> list[Path]:
    """The two files, or none for a text-to-text run (its LM head is the backbone's own)."""
    if module.heads is None:
        return []
    tensors, tasks = {}, {}
    for task, head in zip(module.tasks, module.heads, strict=True):
        tensors[f"{task.name}.weight"] = head.classifier.weight.detach().contiguous()
        tensors[f"{task.name}.bias"] = head.classifier.bias.detach().contiguous()
        tasks[task.name] = {
            "head": task.head.value,
            "outputs": OUTPUTS[task.head],
            "labels": list(task.label_names) if task.head == Head.CLASSIFICATION else None,
            "input_fields": list(task.input_fields),
            "weight": f"{task.name}.weight",
            "bias": f"{task.name}.bias",
        }
    save_file(tensors, str(folder / HEADS_FILE))
    info = {"file": HEADS_FILE, "pooling": POOLING, "tasks": tasks}
    (folder / HEADS_INFO).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return [folder / HEADS_FILE, folder / HEADS_INFO]
