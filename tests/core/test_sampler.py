"""The temperature sampler: frequencies, determinism, DDP agreement and resumption."""

from __future__ import annotations

import numpy as np
import pytest

from hyperpeft.data.sampler import TemperatureBatchSampler, temperature_probabilities
from hyperpeft.errors import ConfigError

SIZES = [8551, 2490, 250, 554]


def _sampler(**overrides) -> TemperatureBatchSampler:
    args = dict(sizes=SIZES, batch_size=4, num_batches=20000, temperature=2.0, seed=7)
    args.update(overrides)
    return TemperatureBatchSampler(**args)


@pytest.mark.parametrize("temperature", [1.0, 2.0, 10.0])
def test_realised_frequencies_match_n_to_the_one_over_t(temperature):
    sampler = _sampler(temperature=temperature)
    expected = np.asarray(SIZES, float) ** (1 / temperature)
    expected /= expected.sum()
    counts = np.bincount(sampler.task_sequence(), minlength=len(SIZES)) / sampler.num_batches
    # 20k draws: the binomial standard error is below 0.0036 for every p, so 0.015 is > 4 sigma
    np.testing.assert_allclose(counts, expected, atol=0.015)


def test_probabilities_at_the_limits():
    assert temperature_probabilities([100, 300], 1.0).tolist() == pytest.approx([0.25, 0.75])
    assert temperature_probabilities([100, 300], 1e9).tolist() == pytest.approx([0.5, 0.5])
    with pytest.raises(ValueError):
        temperature_probabilities([1, 2], 0)


def test_every_batch_holds_one_task_and_the_right_indices():
    sampler = _sampler(num_batches=300)
    offsets = np.concatenate([[0], np.cumsum(SIZES)])
    for task, batch in zip(sampler.task_sequence(), sampler, strict=True):
        assert len(batch) == 4
        assert all(offsets[task] <= index < offsets[task + 1] for index in batch)


def test_same_seed_same_sequence_other_seed_other_sequence():
    assert list(_sampler(num_batches=200)) == list(_sampler(num_batches=200))
    assert list(_sampler(num_batches=200)) != list(_sampler(num_batches=200, seed=8))


def test_a_task_sees_all_its_examples_before_any_repeats():
    sampler = TemperatureBatchSampler([10, 7], 1, 200, 1.0, seed=3)
    seen: dict[int, list[int]] = {0: [], 1: []}
    for task, (index,) in zip(sampler.task_sequence(), sampler, strict=True):
        seen[int(task)].append(index)
    assert sorted(seen[1][:7]) == list(range(10, 17))
    assert sorted(seen[0][:10]) == list(range(10))


def test_restored_state_continues_the_same_sequence():
    full = list(_sampler(num_batches=500))
    assert list(_sampler(num_batches=500, start_batch=321)) == full[321:]
    # the state records what the loop consumed, not what the loader fetched ahead
    interrupted = _sampler(num_batches=500, consumed=lambda: 321)
    resumed = _sampler(num_batches=500)
    resumed.load_state_dict(interrupted.state_dict())
    assert list(resumed) == full[321:]
    # a longer budget (trainer.max_steps raised on resume) continues the same sequence
    assert list(_sampler(num_batches=900, start_batch=321))[:179] == full[321:]


def test_a_state_of_other_data_is_refused():
    state = _sampler(num_batches=500, consumed=lambda: 10).state_dict()
    with pytest.raises(ConfigError, match="sizes"):
        _sampler(num_batches=500, sizes=[5, 5, 5, 5]).load_state_dict(state)
    with pytest.raises(ConfigError, match="seed"):
        _sampler(num_batches=500, seed=8).load_state_dict(state)


def test_ranks_share_the_task_sequence_and_split_each_batch():
    ranks = [list(_sampler(num_batches=100, rank=r, world_size=2)) for r in (0, 1)]
    single = list(_sampler(num_batches=100, batch_size=8))
    for left, right, whole in zip(*ranks, single, strict=True):
        assert left + right == whole
        assert not set(left) & set(right)
