"""A trained run posed one of its tasks: rows in, predictions out, a batch at a time.

Everything goes through what training and evaluation use: the formulation makes the examples,
their token ids and the padded batch (the same `Collator`), the method is told the task
(`set_task`) and the formulation predicts. So a row gets the prediction evaluation would have
given it, for every method and both backbone families.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch

from hyperpeft.data.collate import Collator
from hyperpeft.errors import ConfigError
from hyperpeft.predict.labels import Prediction, describe, fixed_names
from hyperpeft.recipe import TrainedRun
from hyperpeft.tasks import Row, Task


def choose_task(tasks: Sequence[Task], name: str | None) -> int:
    """The index of the task to predict: the only one, or the one `--task` names."""
    names = [task.name for task in tasks]
    if name is None:
        if len(names) == 1:
            return 0
        raise ConfigError(
            "--task", None, f"required: the checkpoint has the tasks {', '.join(names)}; pick one"
        )
    if name not in names:
        raise ConfigError("--task", name, f"one of the checkpoint's tasks: {', '.join(names)}")
    return names.index(name)


class Predictor:
    def __init__(self, trained: TrainedRun, task_name: str | None = None) -> None:
        self.module = trained.module.eval()
        self.max_length = int(trained.cfg.model.max_length)
        self.default_batch_size = int(trained.cfg.trainer.eval_batch_size)
        self.task_index = choose_task(trained.tasks, task_name)
        self.task = trained.tasks[self.task_index]
        self.formulation = self.module.formulation
        self.tokenizer = self.module.tokenizer
        self.collate = Collator(
            self.tokenizer.pad_token_id, self.task_index, self.task, self.formulation
        )

    @property
    def class_names(self) -> list[str] | None:
        """The names every prediction's probabilities are keyed by (None: they vary, or none)."""
        return fixed_names(self.task)

    @torch.no_grad()
    def predict_batch(self, rows: Sequence[Row]) -> list[Prediction]:
        examples = [self.formulation.example(self.task, row) for row in rows]
        features = self.formulation.encode(self.task, examples, self.tokenizer, self.max_length)
        batch = self.collate(list(enumerate(features)))
        self.module.method.set_task(self.task_index)
        predictions, probabilities = self.formulation.predict_with_probabilities(
            self.module.backbone, self.module.heads, batch, self.task, self.tokenizer
        )
        shares = probabilities or [None] * len(predictions)
        return [
            describe(self.task, example, prediction, share)
            for example, prediction, share in zip(examples, predictions, shares, strict=True)
        ]

    def predict(self, rows: Sequence[Row], batch_size: int | None = None) -> Iterator[Prediction]:
        """One prediction per row, in order, computed `batch_size` rows at a time."""
        size = batch_size or self.default_batch_size
        for start in range(0, len(rows), size):
            yield from self.predict_batch(rows[start : start + size])
