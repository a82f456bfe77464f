"""The split protocol of the papers: which rows train, select models, and are reported.

- train on the official train split;
- a task with fewer than 10k training examples: shuffle the official validation split by the seed
  and cut it in two halves: the first selects models (`validation`), the second is reported
  (`test`);
- a larger task: hold out 1k training examples (chosen by the seed) as `validation`, and report on
  the official validation split (`test`).

Rows that share a group (a MultiRC paragraph, a ReCoRD passage) move together, so no question is
split across two splits; for such tasks "examples" above counts groups. Every random choice
comes from a generator seeded with the seed alone, applied to the rows in file order: the splits
depend on the seed and the data and nothing else. Within each split rows keep their file order.

A size limit (`data.max_train_examples=k`, the few-shot setting; `data.max_eval_examples`) keeps
a seeded random sample of a split's rows (whole groups, at least k rows), never its first k: a
file sorted by label (CB's training file opens with 16 entailments) would otherwise train on one
class.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from pathlib import Path

import numpy as np

from hyperpeft.errors import DataError
from hyperpeft.tasks.base import OfficialData, Row, Splits, Task

SMALL_TASK_LIMIT = 10_000
HOLDOUT_SIZE = 1_000
SMALL_HOLDOUT_FRACTION = 0.1  # custom tasks without a validation file and < 10k training rows

GroupOf = Callable[[Row], Hashable | None]

# Independent random streams of one seed, so one choice never shifts another.
_HALVES, _HOLDOUT, _CARVE, _SAMPLE = 0, 1, 2, 3


def _generator(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([stream, int(seed) % 2**63])


def _groups(rows: list[Row], group_of: GroupOf | None) -> list[list[int]]:
    """Row positions per group, groups in order of first appearance."""
    if group_of is None:
        return [[position] for position in range(len(rows))]
    positions: dict[Hashable, list[int]] = {}
    for position, row in enumerate(rows):
        key = group_of(row)
        positions.setdefault(position if key is None else ("group", key), []).append(position)
    return list(positions.values())


def count_groups(rows: list[Row], group_of: GroupOf | None = None) -> int:
    return len(_groups(rows, group_of))


def _take(rows: list[Row], chosen: set[int]) -> tuple[list[Row], list[Row]]:
    """(rows not chosen, rows chosen), both in file order."""
    rest = [row for position, row in enumerate(rows) if position not in chosen]
    taken = [row for position, row in enumerate(rows) if position in chosen]
    return rest, taken


def hold_out(
    rows: list[Row], size: int, seed: int, group_of: GroupOf | None = None, stream: int = _HOLDOUT
) -> tuple[list[Row], list[Row]]:
    """(rest, held out): whole groups in seeded random order until `size` rows are held out."""
    groups = _groups(rows, group_of)
    chosen: set[int] = set()
    for index in _generator(seed, stream).permutation(len(groups)):
        if len(chosen) >= size:
            break
        chosen.update(groups[index])
    return _take(rows, chosen)


def sample(rows: list[Row], size: int, seed: int, group_of: GroupOf | None = None) -> list[Row]:
    """A seeded random `size` of the rows (whole groups), in file order; all of them when fewer."""
    if size >= len(rows):
        return rows
    return hold_out(rows, size, seed, group_of, stream=_SAMPLE)[1]


def halves(
    rows: list[Row], seed: int, group_of: GroupOf | None = None
) -> tuple[list[Row], list[Row]]:
    """(first half, second half) of the groups, shuffled by the seed (the second gets the odd one)."""
    groups = _groups(rows, group_of)
    order = _generator(seed, _HALVES).permutation(len(groups))
    chosen = {position for index in order[: len(groups) // 2] for position in groups[index]}
    rest, first = _take(rows, chosen)
    return first, rest


def protocol_splits(
    train: list[Row], validation: list[Row], seed: int, group_of: GroupOf | None = None
) -> Splits:
    """The papers' protocol for a task with an official train and validation split."""
    if count_groups(train, group_of) < SMALL_TASK_LIMIT:
        selection, reported = halves(validation, seed, group_of)
        return Splits(train=train, validation=selection, test=reported)
    rest, held = hold_out(train, HOLDOUT_SIZE, seed, group_of)
    return Splits(train=rest, validation=held, test=validation)


def _holdout_size(train: list[Row], group_of: GroupOf | None, fraction: float) -> int:
    if count_groups(train, group_of) >= SMALL_TASK_LIMIT:
        return HOLDOUT_SIZE
    return max(1, round(len(train) * fraction))


def complete_splits(data: OfficialData, seed: int, group_of: GroupOf | None = None) -> Splits:
    """Splits from what a distribution has: the protocol when it has train and validation, and
    the same spirit where a split is absent (custom tasks):

    - validation and test given: used as they are;
    - no test: the protocol above, with the validation split as the official one;
    - no validation, a test: hold out 1k training rows (10% under 10k) as validation;
    - neither: carve an "official validation" from train (1k rows, 20% under 10k) and apply the
      protocol, the size decided by the full train split.
    """
    train, validation, test = data.train, data.validation, data.test
    if validation is not None and test is not None:
        return Splits(train=train, validation=validation, test=test)
    if validation is not None:
        return protocol_splits(train, validation, seed, group_of)
    if test is not None:
        size = _holdout_size(train, group_of, SMALL_HOLDOUT_FRACTION)
        rest, held = hold_out(train, size, seed, group_of)
        return Splits(train=rest, validation=held, test=test)
    large = count_groups(train, group_of) >= SMALL_TASK_LIMIT
    size = _holdout_size(train, group_of, 2 * SMALL_HOLDOUT_FRACTION)
    rest, carved = hold_out(train, size, seed, group_of, stream=_CARVE)
    if large:
        rest, held = hold_out(rest, HOLDOUT_SIZE, seed, group_of)
        return Splits(train=rest, validation=held, test=carved)
    selection, reported = halves(carved, seed, group_of)
    return Splits(train=rest, validation=selection, test=reported)


def load_splits(task: Task, data_dir: str | Path | None, seed: int) -> Splits:
    """The task's train / validation / test rows for this seed.

    `data_dir` None reads the Hugging Face hub, otherwise a folder laid out as the official
    downloads. Missing files, hub failures and malformed rows raise `DataError`.
    """
    splits = complete_splits(task.official_data(data_dir), seed, task.split_group)
    empty = [name for name in ("train", "validation", "test") if not getattr(splits, name)]
    if empty:
        sizes = ", ".join(
            f"{name}={len(getattr(splits, name))}" for name in ("train", "validation", "test")
        )
        files = ", ".join(str(path) for path in task.data_files(data_dir))
        raise DataError(
            f"task {task.name}: split(s) {', '.join(empty)} came out empty ({sizes}); "
            f"the data{f' ({files})' if files else ''} has too few rows for the split protocol"
        )
    return splits
