"""One task's examples and features for every split, built once and cached."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from transformers import PreTrainedTokenizerBase

from hyperpeft.data.cache import cached, digest
from hyperpeft.data.features import Features
from hyperpeft.data.fingerprint import code_fingerprint
from hyperpeft.tasks import load_splits
from hyperpeft.tasks.splits import sample

if TYPE_CHECKING:
    from hyperpeft.formulation import Formulation

SPLITS = ("train", "validation", "test")


@dataclass
class TaskData:
    """`examples[split]` keep what metrics need (labels, groups); `features[split]` are token ids,
    both in the formulation the backbone family poses its tasks in."""

    task: Any
    examples: dict[str, list[Any]]
    features: dict[str, list[Features]]

    def size(self, split: str) -> int:
        return len(self.features[split])


def build_task_data(
    task: Any,
    tokenizer: PreTrainedTokenizerBase,
    formulation: Formulation,
    data_dir: str | None,
    seed: int,
    max_length: int,
    limits: dict[str, int | None],
    cache_dir: str | None,
) -> tuple[TaskData, bool]:
    """Load `task`'s splits, apply the per-split limits, format and tokenise them as
    `formulation` poses the task (or take the cache)."""
    splits = load_splits(task, data_dir, seed)
    rows = {split: getattr(splits, split) for split in SPLITS}
    for split, limit in limits.items():
        if limit is not None:  # a seeded sample, not the file's first rows (splits.py)
            rows[split] = sample(rows[split], limit, seed, task.split_group)
    key = digest(
        task.name,
        rows,
        getattr(tokenizer, "name_or_path", ""),
        len(tokenizer),
        formulation.name,
        max_length,
        task.max_target_tokens,
        # the code from a row to its features (and the task settings it reads): what build()
        # calls; an edit to it is a new entry, never a stale one
        code_fingerprint(formulation.feature_code(task)),
    )

    def build() -> TaskData:
        examples, features = {}, {}
        for split in SPLITS:
            examples[split] = [formulation.example(task, row) for row in rows[split]]
            features[split] = formulation.encode(task, examples[split], tokenizer, max_length)
        return TaskData(task=task, examples=examples, features=features)

    data, from_cache = cached(cache_dir, f"{task.name}-{key}", build)
    data.task = task  # the live task, not the copy pickled with the entry
    return data, from_cache
