"""Temperature-based multi-task batch sampling.

Task i is drawn with probability p_i = N_i^(1/T) / sum_j N_j^(1/T); every batch holds one task.
The whole sequence is a pure function of the seed: each DDP rank computes the same task sequence
and takes its own slice of each global batch, and a resumed run continues from the batch it had
reached rather than from a stored generator state. That position is the sampler's state
(`state_dict` / `load_state_dict`), which Lightning keeps in the checkpoint through the training
loader (`hyperpeft.data.datamodule.ResumableLoader`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from torch.utils.data import Sampler

from hyperpeft.errors import ConfigError


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
        start_batch: int = 0,
        consumed: Callable[[], int] | None = None,
    ) -> None:
        """`start_batch`: the batch the next iteration starts from (a resumed run's position).
        `consumed`: how many batches the training loop has taken so far, the position
        `state_dict` records; the loader runs ahead of the loop (Lightning fetches a batch
        early, workers several), so the count of batches yielded would overshoot."""
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
        self.start_batch = int(start_batch)
        self._consumed = consumed

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

    def state_dict(self) -> dict[str, Any]:
        """The position in the sequence, and what the sequence is made from."""
        position = self._consumed() if self._consumed is not None else self.start_batch
        return {
            "next_batch": int(position),
            "seed": self.seed,
            "sizes": list(self.sizes),
            "global_batch_size": self.batch_size * self.world_size,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a saved position; a state made from other data, seed or batch size
        would continue another sequence, so it is refused."""
        mine = self.state_dict()
        for key in ("seed", "sizes", "global_batch_size"):
            if key in state and state[key] != mine[key]:
                raise ConfigError(
                    "trainer.resume",
                    f"{key}={state[key]}",
                    f"the checkpoint's data order was made with {key}={state[key]}, this run's "
                    f"with {mine[key]}; resume with the run's own settings",
                )
        self.start_batch = int(state["next_batch"])
