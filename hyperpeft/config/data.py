"""`data`: where the task files and the tokenised cache are, and how much of them a run reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from hyperpeft.config.checks import check_positive


@dataclass
class DataConfig:
    dir: str | None = field(
        default="${oc.env:HYPERPEFT_DATA_DIR,null}",
        metadata={"help": "A folder in the official GLUE/SuperGLUE layout; null = the hub."},
    )
    cache_dir: str | None = field(
        default="${oc.env:HYPERPEFT_CACHE_DIR,${oc.env:HOME,.}/.cache/hyperpeft}",
        metadata={"help": "Tokenised splits are cached here; null disables the cache."},
    )
    max_train_examples: int | None = field(
        default=None, metadata={"help": "Per task, for quick experiments; null = all."}
    )
    max_eval_examples: int | None = field(
        default=None, metadata={"help": "Per task and evaluation split; null = all."}
    )
    num_workers: int = field(default=0, metadata={"help": "DataLoader worker processes."})

    def validate(self) -> None:
        check_positive("data.max_train_examples", self.max_train_examples)
        check_positive("data.max_eval_examples", self.max_eval_examples)
        check_positive("data.num_workers", self.num_workers, allow_zero=True)
