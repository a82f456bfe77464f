"""Temperature-based multi-task batch sampling.

Task i is drawn with probability p_i = N_i^(1/T) / sum_j N_j^(1/T); every batch holds one task.
The whole sequence is a pure function of the seed: each DDP rank computes the same task sequence
and takes its own slice of each global batch, and a resumed run continues from the batch it had
reached (`start_batch`) rather than from a stored generator state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler


def temperature_probabilities(sizes: Sequence[int], temperature: float) -> np.ndarray:
    """p_i proportional to N_i^(1/T)."""
    if temperature <= 0:
        raise ValueError("temperature must be > 0")
    weights = np.asarray(sizes, dtype=np.float64) ** (1.0 / temperature)
    return weights / weights.sum()


class TemperatureBatchSampler(Sampler[list[int]]):
    """Yields lists of indices into the concatenation of the task datasets, one task per batch.

    `sizes[i]` is task i's number of training examples; its indices in the concatenation start at
    `sum(sizes[:i])`. Each task walks through its own seeded permutations, epoch after epoch, so
    no example repeats before its task has seen them all.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        batch_size: int,
        num_batches: int,
        temperature: float,
        seed: int,
        rank: int = 0,
        world_size: int = 1,
        start_batch: int | Callable[[], int] = 0,
    ) -> None:
        if not sizes or min(sizes) <= 0:
            raise ValueError("every task needs at least one training example")
        self.sizes = list(sizes)
        self.batch_size = batch_size
        self.num_batches = num_batches
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.probabilities = temperature_probabilities(sizes, temperature)
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)[:-1]])
        self._start_batch = start_batch

    @property
    def start_batch(self) -> int:
        start = self._start_batch
        return int(start() if callable(start) else start)

    def task_sequence(self) -> np.ndarray:
        """The task index of every batch of the run (the same on every rank)."""
        rng = np.random.default_rng([self.seed, 0x7A5C])
        return rng.choice(len(self.sizes), size=self.num_batches, p=self.probabilities)

    def _task_stream(self, task: int) -> Iterator[int]:
        epoch = 0
        while True:
            rng = np.random.default_rng([self.seed, task, epoch])
            yield from rng.permutation(self.sizes[task]).tolist()
            epoch += 1

    def __len__(self) -> int:
        return self.num_batches

    def __iter__(self) -> Iterator[list[int]]:
        streams = [self._task_stream(task) for task in range(len(self.sizes))]
        global_batch = self.batch_size * self.world_size
        mine = slice(self.rank * self.batch_size, (self.rank + 1) * self.batch_size)
        start = self.start_batch
        for step, task in enumerate(self.task_sequence().tolist()):
            indices = [next(streams[task]) for _ in range(global_batch)]
            if step < start:
                continue  # replaying the streams is what makes a resumed run continue exactly
            yield [int(self.offsets[task]) + index for index in indices[mine]]

    def state_dict(self) -> dict[str, int]:
        return {"seed": self.seed, "start_batch": self.start_batch}
