"""`trainer`: optimisation and evaluation settings of a run."""

from __future__ import annotations

from dataclasses import dataclass, field

from hyperpeft.config.checks import check_fraction, check_positive


@dataclass
class TrainerConfig:
    max_steps: int = field(
        default=1000, metadata={"help": "Optimizer steps; 0 only evaluates (see `checkpoint`)."}
    )
    batch_size: int = field(default=32, metadata={"help": "Training examples per batch."})
    eval_batch_size: int = field(default=64, metadata={"help": "Examples per evaluation batch."})
    eval_every: int = field(
        default=200,
        metadata={"help": "Evaluate (and maybe checkpoint) every N optimizer steps."},
    )
    learning_rate: float | None = field(
        default=None,
        metadata={
            "help": "AdamW peak rate; null = the method's own default (method.learning_rate)."
        },
    )
    warmup_ratio: float = field(
        default=0.06,
        metadata={"help": "Linear warmup over this share of max_steps, then linear decay to 0."},
    )
    weight_decay: float = field(
        default=0.0,
        metadata={
            "help": "AdamW weight decay of weight matrices; layer norms, biases and embeddings "
            "are never decayed (the reference trainers' `no_decay` groups)."
        },
    )
    label_smoothing: float | None = field(
        default=None,
        metadata={
            "help": "Label smoothing of classification, multiple-choice and text-to-text token "
            "losses (never regression); null = the method's recipe default: 0.1 for adapter, "
            "hyperformer, hyperformer++ and full (the Hyperformer reference configs), 0 else."
        },
    )
    gradient_clip: float = field(
        default=1.0, metadata={"help": "Clip the gradient norm to this; 0 disables clipping."}
    )
    accumulate_grad_batches: int = field(
        default=1, metadata={"help": "Batches whose gradients make one optimizer step."}
    )
    head_dropout: float = field(default=0.1, metadata={"help": "Dropout of encoder task heads."})
    resume: str | None = field(
        default=None, metadata={"help": "A run folder (or its last.ckpt) to continue."}
    )

    def validate(self) -> None:
        for key in ("batch_size", "eval_batch_size", "eval_every", "accumulate_grad_batches"):
            check_positive(f"trainer.{key}", getattr(self, key))
        check_positive("trainer.max_steps", self.max_steps, allow_zero=True)
        check_positive("trainer.learning_rate", self.learning_rate)
        check_fraction("trainer.warmup_ratio", self.warmup_ratio)
        check_positive("trainer.weight_decay", self.weight_decay, allow_zero=True)
        check_positive("trainer.gradient_clip", self.gradient_clip, allow_zero=True)
        check_fraction("trainer.head_dropout", self.head_dropout)
        if self.label_smoothing is not None:
            check_fraction("trainer.label_smoothing", self.label_smoothing)
