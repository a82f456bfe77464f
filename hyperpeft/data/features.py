"""The token ids of one example, as every formulation produces them and the cache stores them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Features:
    """Token ids of one example. `input_ids` is a list of sequences: one, or one per choice;
    `target_ids` is the text a text-to-text model must write (None for encoders)."""

    input_ids: list[list[int]]
    token_type_ids: list[list[int]] | None
    label: Any
    target_ids: list[int] | None = None
