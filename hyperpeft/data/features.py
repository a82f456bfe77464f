"""Turn a task's examples into token ids for one of the two formulations.

Encoders get one (text_a, text_b) pair per example, or one pair per choice for multiple choice;
encoder-decoders get a source and a target ending in the tokenizer's end-of-sequence token.
Padding is left to the collator, per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from transformers import PreTrainedTokenizerBase


@dataclass
class Features:
    """Token ids of one example. `input_ids` is a list of sequences: one, or one per choice."""

    input_ids: list[list[int]]
    token_type_ids: list[list[int]] | None
    label: Any
    target_ids: list[int] | None = None
    extra: dict = field(default_factory=dict)


def _end_of_sequence(tokenizer: PreTrainedTokenizerBase) -> int:
    eos = tokenizer.eos_token_id
    return tokenizer.sep_token_id if eos is None else eos


def encode_for_encoder(
    examples: Sequence[Any], tokenizer: PreTrainedTokenizerBase, max_length: int
) -> list[Features]:
    """Tokenise `EncoderExample`s: every pair of every example in one batched tokenizer call."""
    pairs = [pair for example in examples for pair in example.texts]
    firsts = [a for a, _ in pairs]
    seconds = [b for _, b in pairs]
    has_second = any(b is not None for b in seconds)
    encoded = tokenizer(
        firsts,
        [b or "" for b in seconds] if has_second else None,
        truncation="longest_first" if has_second else True,
        max_length=max_length,
    )
    types = encoded.get("token_type_ids")
    features, cursor = [], 0
    for example in examples:
        span = range(cursor, cursor + len(example.texts))
        cursor += len(example.texts)
        features.append(
            Features(
                input_ids=[encoded["input_ids"][i] for i in span],
                token_type_ids=[types[i] for i in span] if types is not None else None,
                label=example.label,
            )
        )
    return features


def encode_for_text_to_text(
    examples: Sequence[Any],
    tokenizer: PreTrainedTokenizerBase,
    max_length: int,
    max_target_length: int,
) -> list[Features]:
    """Tokenise `TextToTextExample`s: the source as usual, the target as plain tokens plus EOS."""
    sources = tokenizer(
        [example.source for example in examples], truncation=True, max_length=max_length
    )
    targets = tokenizer(
        [example.target for example in examples],
        add_special_tokens=False,
        truncation=True,
        max_length=max_target_length - 1,
    )
    eos = _end_of_sequence(tokenizer)
    return [
        Features(
            input_ids=[source],
            token_type_ids=None,
            label=example.label,
            target_ids=target + [eos],
        )
        for example, source, target in zip(
            examples, sources["input_ids"], targets["input_ids"], strict=True
        )
    ]
