"""The Lightning data module: temperature-mixed training batches, per-task evaluation loaders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytorch_lightning as pl
import torch
from torch.utils.data import ConcatDataset, DataLoader, Dataset

from hyperpeft.data.collate import Collator
from hyperpeft.data.features import Features
from hyperpeft.data.sampler import TemperatureBatchSampler
from hyperpeft.data.task_data import TaskData
from hyperpeft.formulation import Formulation


class SplitDataset(Dataset):
    """One task's features of one split; items carry their task and example index."""

    def __init__(self, task_index: int, features: Sequence[Features]) -> None:
        self.task_index = task_index
        self.features = features

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, index: int) -> tuple[int, int, Features]:
        return self.task_index, index, self.features[index]


class MixtureCollator:
    """Dispatches a one-task batch to that task's collator."""

    def __init__(self, collators: Sequence[Collator]) -> None:
        self.collators = collators

    def __call__(self, items: Sequence[tuple[int, int, Features]]) -> dict[str, Any]:
        task_index = items[0][0]
        return self.collators[task_index]([(index, f) for _, index, f in items])


class ResumableLoader(DataLoader):
    """The training loader, resumable through Lightning's stateful-loader interface: Lightning
    saves `state_dict()` in every checkpoint and hands it back to `load_state_dict` on resume.
    The state is the batch sampler's position in the run's sequence of batches."""

    def state_dict(self) -> dict[str, Any]:
        return self.batch_sampler.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.batch_sampler.load_state_dict(state)


class MultiTaskDataModule(pl.LightningDataModule):
    def __init__(
        self,
        task_data: Sequence[TaskData],
        formulation: Formulation,
        pad_token_id: int,
        batch_size: int,
        eval_batch_size: int,
        num_batches: int,
        temperature: float,
        seed: int,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        self.task_data = list(task_data)
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.num_batches = num_batches
        self.temperature = temperature
        self.seed = seed
        self.num_workers = num_workers
        self.collators = [
            Collator(pad_token_id, index, data.task, formulation)
            for index, data in enumerate(task_data)
        ]
        self.train_sampler: TemperatureBatchSampler | None = None

    def _batches_consumed(self) -> int:
        trainer = self.trainer
        if trainer is None:
            return 0
        return trainer.global_step * trainer.accumulate_grad_batches

    def make_train_sampler(self, rank: int = 0, world_size: int = 1) -> TemperatureBatchSampler:
        return TemperatureBatchSampler(
            sizes=[data.size("train") for data in self.task_data],
            batch_size=self.batch_size,
            num_batches=self.num_batches,
            temperature=self.temperature,
            seed=self.seed,
            rank=rank,
            world_size=world_size,
            # the trainer's restored step: also right when Lightning restores no loader state
            # (a finished run trained further starts a new epoch), and for older checkpoints
            start_batch=self._batches_consumed(),
            consumed=self._batches_consumed,
        )

    def train_dataloader(self) -> ResumableLoader:
        trainer = self.trainer
        rank, world = (trainer.global_rank, trainer.world_size) if trainer else (0, 1)
        self.train_sampler = self.make_train_sampler(rank, world)
        datasets = [SplitDataset(i, d.features["train"]) for i, d in enumerate(self.task_data)]
        return ResumableLoader(
            ConcatDataset(datasets),
            batch_sampler=self.train_sampler,
            collate_fn=MixtureCollator(self.collators),
            num_workers=self.num_workers,
            generator=self._own_generator(),
        )

    def _own_generator(self) -> torch.Generator:
        # a loader draws its base seed from a generator when iterated; an own one keeps the global
        # stream (dropout) identical between a run and its resumed continuation
        return torch.Generator().manual_seed(self.seed)

    def _eval_loaders(self, split: str) -> list[DataLoader]:
        # every rank evaluates the whole split: metrics such as MultiRC's EM need all of a
        # question's answers in one place, and evaluation is a small share of a run
        return [
            DataLoader(
                SplitDataset(index, data.features[split]),
                batch_size=self.eval_batch_size,
                shuffle=False,
                collate_fn=MixtureCollator(self.collators),
                num_workers=self.num_workers,
                generator=self._own_generator(),
            )
            for index, data in enumerate(self.task_data)
        ]

    def val_dataloader(self) -> list[DataLoader]:
        return self._eval_loaders("validation")

    def test_dataloader(self) -> list[DataLoader]:
        return self._eval_loaders("test")
