"""A peer cell's training, run by the peers' Python (AdapterHub `adapters`, Hugging Face `peft`):

    python -m benchmarks.quality.peer_worker JOB.json

It trains on the tensors file our side exported (our batches, in our order) with our head and
loss (masked mean of the last hidden states, dropout, one linear layer; cross-entropy with the
matched method's label smoothing, or MSE), AdamW with the run's linear warmup and decay,
gradient clipping and learning rate, and evaluates every `eval_every` steps. At each evaluation
it writes its predictions on the validation and the test half: our side picks the evaluation
with the best validation score by hyperpeft's own metrics and reports that evaluation's test
score, which is what keeping the best weights and testing them would give.

Imports torch, transformers, the peer libraries (through benchmarks.speed.peers) and the
standard library only: hyperpeft is not installed in the peers' environment.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from benchmarks.quality.peer_data import Batch, load_task_tensors

INPUT_KEYS = ("input_ids", "attention_mask", "token_type_ids")
CLASSIFICATION, REGRESSION = "classification", "regression"


def masked_mean(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """hyperpeft.formulation.heads.masked_mean: the pooling all-MiniLM-L6-v2 was trained with."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)


class Head(nn.Module):
    """hyperpeft's TaskHead for one task: dropout, then one linear layer."""

    def __init__(self, hidden_size: int, kind: str, num_labels: int, dropout: float) -> None:
        super().__init__()
        if kind not in (CLASSIFICATION, REGRESSION):
            raise ValueError(f"head {kind!r}: the peer worker has classification and regression")
        self.kind = kind
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, num_labels if kind == CLASSIFICATION else 1)

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        logits = self.classifier(self.dropout(pooled))
        return logits.squeeze(-1) if self.kind == REGRESSION else logits

    def loss(self, logits: torch.Tensor, labels: torch.Tensor, smoothing: float) -> torch.Tensor:
        if self.kind == REGRESSION:
            return F.mse_loss(logits.float(), labels.float())
        return F.cross_entropy(logits.float(), labels, label_smoothing=smoothing)

    def predict(self, logits: torch.Tensor) -> list:
        return logits.float().tolist() if self.kind == REGRESSION else logits.argmax(-1).tolist()


def logits_of(model: nn.Module, head: Head, batch: Batch, bf16: bool = False) -> torch.Tensor:
    inputs = {key: batch[key] for key in INPUT_KEYS if key in batch}
    precision = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
    with precision:
        hidden = model(**inputs).last_hidden_state
        return head(masked_mean(hidden, inputs["attention_mask"]))


@torch.no_grad()
def predict_split(
    model: nn.Module, head: Head, batches: Sequence[Batch], bf16: bool = False
) -> list:
    """Predictions in example order (the batches' `example_index`), as our evaluation collects."""
    model.eval()
    head.eval()
    pairs = []
    for batch in batches:
        predictions = head.predict(logits_of(model, head, batch, bf16))
        pairs += zip(batch["example_index"].tolist(), predictions, strict=True)
    model.train()
    head.train()
    return [prediction for _, prediction in sorted(pairs)]


def evaluation_steps(steps: int, eval_every: int) -> list[int]:
    """Lightning's `val_check_interval` over `steps` optimizer steps: every multiple."""
    return list(range(eval_every, steps + 1, eval_every))


def decay_groups(modules: Sequence[nn.Module], weight_decay: float) -> list[dict]:
    """hyperpeft's AdamW groups: layer norms, embeddings and biases are never decayed."""
    decayed, exempt, seen = [], [], set()
    for module in modules:
        for sub in module.modules():
            for name, parameter in sub.named_parameters(recurse=False):
                if not parameter.requires_grad or id(parameter) in seen:
                    continue
                seen.add(id(parameter))
                never = isinstance(sub, (nn.LayerNorm, nn.Embedding)) or "bias" in name
                (exempt if never else decayed).append(parameter)
    groups = [
        {"params": decayed, "weight_decay": weight_decay},
        {"params": exempt, "weight_decay": 0.0},
    ]
    return [group for group in groups if group["params"]]


def train_and_evaluate(
    model: nn.Module,
    head: Head,
    splits: dict[str, list[Batch]],
    matched: dict,
    eval_every: int,
    bf16: bool = False,
) -> dict:
    """Train on every training batch once, in order; the evaluations, step times and counts."""
    import transformers

    trained = [p for module in (model, head) for p in module.parameters() if p.requires_grad]
    fused = {"fused": True} if not bf16 else {}
    optimizer = torch.optim.AdamW(
        decay_groups([model, head], matched["weight_decay"]), lr=matched["learning_rate"], **fused
    )
    steps = len(splits["train"])
    schedule = transformers.get_linear_schedule_with_warmup(
        optimizer, int(matched["warmup_ratio"] * steps), max(steps, 1)
    )
    at = set(evaluation_steps(steps, eval_every))
    evaluations, step_times = [], []
    model.train()
    head.train()
    for step, batch in enumerate(splits["train"], start=1):
        start = time.perf_counter()
        logits = logits_of(model, head, batch, bf16)
        loss = head.loss(logits, batch["labels"], matched.get("label_smoothing", 0.0))
        if not math.isfinite(loss.item()):
            raise RuntimeError(f"the peer's training loss became {loss.item()} at step {step}")
        loss.backward()
        if matched["gradient_clip"]:
            torch.nn.utils.clip_grad_norm_(trained, matched["gradient_clip"])
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        step_times.append(time.perf_counter() - start)
        if step in at:
            evaluations.append(
                {
                    "step": step,
                    "validation": predict_split(model, head, splits["validation"], bf16),
                    "test": predict_split(model, head, splits["test"], bf16),
                }
            )
    return {
        "evaluations": evaluations,
        "steps": steps,
        "step_time_s": statistics.median(step_times) if step_times else None,
        "trainable": sum(p.numel() for p in trained),
    }


def backbone_parameters() -> int:
    """The plain minilm's parameters (tied ones once): the denominator of trainable %."""
    from benchmarks.speed.peers import load_minilm

    model = load_minilm()
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


def peak_memory_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def run_job(job: dict) -> dict:
    from benchmarks.speed.cells import PEER, Cell
    from benchmarks.speed.peers import build_model

    started = time.perf_counter()
    torch.set_num_threads(int(job["threads"]))
    splits, meta = load_task_tensors(Path(job["data"]))
    matched = job["matched"]
    torch.manual_seed(int(job["seed"]))
    speed_cell = Cell(job["method"], PEER, matched["method"], job["kind"], job["library_config"])
    model, versions = build_model(speed_cell, matched)
    head = Head(model.config.hidden_size, meta["head"], meta["num_labels"], matched["head_dropout"])
    trained = train_and_evaluate(
        model, head, splits, matched, int(job["eval_every"]), bool(job.get("bf16"))
    )
    return {
        **trained,
        "backbone": backbone_parameters(),
        "peak_memory_mb": peak_memory_mb(),
        "wall_time_s": time.perf_counter() - started,
        "versions": {**versions, "torch": torch.__version__, "python": platform.python_version()},
        "threads": torch.get_num_threads(),
        "meta": meta,
    }


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text())
    try:
        result = run_job(job)
    except Exception:
        traceback.print_exc()
        sys.exit(1)
    out = Path(job["out"])
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result))
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
