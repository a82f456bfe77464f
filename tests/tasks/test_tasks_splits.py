"""The split protocol: sizes, disjointness, groups kept whole, determinism by seed alone."""

from __future__ import annotations

import random

import numpy as np
import pytest

from hyperpeft.tasks import OfficialData, get_task, load_splits
from hyperpeft.tasks.splits import (
    HOLDOUT_SIZE,
    SMALL_TASK_LIMIT,
    complete_splits,
    halves,
    hold_out,
    protocol_splits,
)


def rows(count: int, start: int = 0, groups: int | None = None) -> list[dict]:
    return [
        {"idx": start + i, **({"group": (start + i) % groups} if groups else {})}
        for i in range(count)
    ]


def ids(split: list[dict]) -> list[int]:
    return [row["idx"] for row in split]


def test_small_task_cuts_the_validation_set_in_halves():
    train, validation = rows(500), rows(101, start=10_000)
    splits = protocol_splits(train, validation, seed=0)
    assert splits.train is train
    assert (len(splits.validation), len(splits.test)) == (50, 51)
    assert not set(ids(splits.validation)) & set(ids(splits.test))
    assert sorted(ids(splits.validation) + ids(splits.test)) == ids(validation)
    assert ids(splits.validation) == sorted(ids(splits.validation))  # file order kept


def test_large_task_holds_out_1000_training_rows():
    train, validation = rows(SMALL_TASK_LIMIT + 500), rows(300, start=100_000)
    splits = protocol_splits(train, validation, seed=0)
    assert len(splits.validation) == HOLDOUT_SIZE == 1000
    assert len(splits.train) == SMALL_TASK_LIMIT + 500 - 1000
    assert splits.test is validation
    assert not set(ids(splits.train)) & set(ids(splits.validation))
    assert ids(splits.train) == sorted(ids(splits.train))


def test_the_size_limit_counts_training_examples():
    assert len(protocol_splits(rows(SMALL_TASK_LIMIT - 1), rows(10), 0).test) == 5
    assert len(protocol_splits(rows(SMALL_TASK_LIMIT), rows(10), 0).test) == 10


def test_splits_are_a_function_of_the_seed_alone():
    train, validation = rows(400), rows(200, start=1000)
    first = protocol_splits(train, validation, seed=7)
    random.seed(123)
    np.random.seed(456)  # global random state must not matter
    again = protocol_splits(list(train), list(validation), seed=7)
    other = protocol_splits(train, validation, seed=8)
    assert ids(first.validation) == ids(again.validation)
    assert ids(first.validation) != ids(other.validation)
    held_a = hold_out(rows(5000), 1000, seed=1)[1]
    held_b = hold_out(rows(5000), 1000, seed=1)[1]
    held_c = hold_out(rows(5000), 1000, seed=2)[1]
    assert ids(held_a) == ids(held_b) != ids(held_c)


def test_groups_move_together():
    group_of = lambda row: row["group"]  # noqa: E731
    data = rows(90, groups=9)  # nine groups of ten rows
    first, second = halves(data, seed=3, group_of=group_of)
    groups_first = {row["group"] for row in first}
    groups_second = {row["group"] for row in second}
    assert not groups_first & groups_second
    assert (len(groups_first), len(groups_second)) == (4, 5)
    assert len(first) == 40 and len(second) == 50
    rest, held = hold_out(data, 25, seed=3, group_of=group_of)
    assert len(held) == 30  # whole groups until at least 25 rows
    assert not {row["group"] for row in rest} & {row["group"] for row in held}


def test_complete_splits_when_the_distribution_lacks_splits():
    train = rows(1000)
    given = OfficialData(train, rows(40, start=5000), rows(30, start=9000))
    splits = complete_splits(given, seed=0)
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (1000, 40, 30)

    no_test = complete_splits(OfficialData(train, rows(40, start=5000), None), seed=0)
    assert (len(no_test.validation), len(no_test.test)) == (20, 20)

    no_validation = complete_splits(OfficialData(train, None, rows(30, start=9000)), seed=0)
    assert (len(no_validation.train), len(no_validation.validation)) == (900, 100)
    assert len(no_validation.test) == 30

    neither = complete_splits(OfficialData(train, None, None), seed=0)
    assert (len(neither.train), len(neither.validation), len(neither.test)) == (800, 100, 100)
    every = ids(neither.train) + ids(neither.validation) + ids(neither.test)
    assert sorted(every) == ids(train)

    large = complete_splits(OfficialData(rows(12_000), None, None), seed=0)
    assert (len(large.train), len(large.validation), len(large.test)) == (10_000, 1000, 1000)
    assert len(set(ids(large.train)) | set(ids(large.validation)) | set(ids(large.test))) == 12_000


def test_real_task_splits_repeat_for_a_seed_and_change_with_it(data_dir):
    task = get_task("cb")
    first = load_splits(task, data_dir, seed=11)
    again = load_splits(task, data_dir, seed=11)
    other = load_splits(task, data_dir, seed=12)
    assert first == again
    assert ids(first.validation) != ids(other.validation)
    assert first.train == other.train  # small task: train is the official train split


@pytest.mark.parametrize("seed", [0, 1, 2**40])
def test_any_integer_seed_works(seed):
    first, second = halves(rows(10), seed=seed)
    assert len(first) + len(second) == 10
