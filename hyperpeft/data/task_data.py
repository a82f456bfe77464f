"""One task's examples and features for every split, built once and cached."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from transformers import PreTrainedTokenizerBase

from hyperpeft.data.cache import cached, digest
from hyperpeft.data.features import Features, encode_for_encoder, encode_for_text_to_text
from hyperpeft.data.fingerprint import code_fingerprint
from hyperpeft.tasks import load_splits

SPLITS = ("train", "validation", "test")


@dataclass
class TaskData:
    """`examples[split]` keep what metrics need (labels, groups); `features[split]` are token ids."""

    task: Any
    examples: dict[str, list[Any]]
    features: dict[str, list[Features]]

    def size(self, split: str) -> int:
        return len(self.features[split])


def _limit(rows: list, limit: int | None) -> list:
    return rows if limit is None else rows[:limit]


def build_task_data(
    task: Any,
    tokenizer: PreTrainedTokenizerBase,
    text_to_text: bool,
    data_dir: str | None,
    seed: int,
    max_length: int,
    limits: dict[str, int | None],
    cache_dir: str | None,
) -> tuple[TaskData, bool]:
    """Load `task`'s splits, apply the per-split limits, tokenise (or take the cache)."""
    splits = load_splits(task, data_dir, seed)
    rows = {split: _limit(getattr(splits, split), limits.get(split)) for split in SPLITS}
    key = digest(
        task.name,
        rows,
        getattr(tokenizer, "name_or_path", ""),
        len(tokenizer),
        text_to_text,
        max_length,
        task.max_target_tokens,
        # the code from a row to its features (and the task settings it reads): what build()
        # calls; an edit to it is a new entry, never a stale one
        code_fingerprint(
            [task.text_to_text_example, encode_for_text_to_text]
            if text_to_text
            else [task.encoder_example, encode_for_encoder]
        ),
    )

    def build() -> TaskData:
        examples, features = {}, {}
        for split in SPLITS:
            if text_to_text:
                examples[split] = [task.text_to_text_example(row) for row in rows[split]]
                features[split] = encode_for_text_to_text(
                    examples[split], tokenizer, max_length, task.max_target_tokens
                )
            else:
                examples[split] = [task.encoder_example(row) for row in rows[split]]
                features[split] = encode_for_encoder(examples[split], tokenizer, max_length)
        return TaskData(task=task, examples=examples, features=features)

    data, from_cache = cached(cache_dir, f"{task.name}-{key}", build)
    data.task = task  # the live task, not the copy pickled with the entry
    return data, from_cache
