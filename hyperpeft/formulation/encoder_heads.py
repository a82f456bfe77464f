"""Encoders with task heads: the backbone reads the example, a per-task head answers.

A row becomes one (text_a, text_b) pair, or one pair per choice for multiple choice; the head
sits on the masked mean of the last hidden states (see heads.py) and gives class logits, a
number (regression) or one score per choice. Choices of one batch are flattened to
`[batch * max_choices, length]`, with `choice_mask [batch, max_choices]` marking the real ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from hyperpeft.data.collate import pad, pad_inputs
from hyperpeft.data.features import Features
from hyperpeft.formulation.base import Batch, Formulation
from hyperpeft.formulation.heads import TaskHeads, masked_mean
from hyperpeft.tasks.base import EncoderExample, Row, Task
from hyperpeft.tasks.head import Head

MODEL_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class EncoderHeads(Formulation):
    name = "encoder-heads"

    # -- data ----------------------------------------------------------------------------------
    def example(self, task: Task, row: Row) -> EncoderExample:
        return task.encoder_example(row)

    def feature_code(self, task: Task) -> list[Callable]:
        return [task.encoder_example, self.encode]

    def encode(
        self,
        task: Task,
        examples: Sequence[EncoderExample],
        tokenizer: PreTrainedTokenizerBase,
        max_length: int,
    ) -> list[Features]:
        """Every pair of every example in one batched tokenizer call."""
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

    def collate(self, task: Task, features: Sequence[Features], pad_token_id: int) -> Batch:
        """Padded choices are empty sequences, masked out of the scores."""
        num_choices = max(len(f.input_ids) for f in features)
        sequences, types, choice_mask = [], [], []
        for f in features:
            padding = num_choices - len(f.input_ids)
            sequences += f.input_ids + [[pad_token_id]] * padding
            if f.token_type_ids is not None:
                types += f.token_type_ids + [[0]] * padding
            choice_mask.append([1] * len(f.input_ids) + [0] * padding)
        batch: Batch = pad_inputs(sequences, pad_token_id)
        if types:
            batch["token_type_ids"] = pad(types, 0, batch["input_ids"].shape[1])
        if task.head == Head.MULTIPLE_CHOICE:
            batch["choice_mask"] = torch.tensor(choice_mask, dtype=torch.bool)
        if all(f.label is not None for f in features):  # rows to predict on have none
            dtype = torch.float if task.head == Head.REGRESSION else torch.long
            batch["labels"] = torch.tensor([f.label for f in features], dtype=dtype)
        return batch

    # -- model ---------------------------------------------------------------------------------
    def heads(
        self,
        hidden_size: int,
        tasks: Sequence[Task],
        dropout: float,
        label_means: Mapping[str, float] | None = None,
    ) -> TaskHeads:
        return TaskHeads(hidden_size, tasks, dropout, label_means)

    def _logits(self, model: PreTrainedModel, heads: nn.Module, batch: Batch) -> torch.Tensor:
        inputs = {key: batch[key] for key in MODEL_INPUTS if key in batch}
        hidden = model(**inputs).last_hidden_state
        pooled = masked_mean(hidden, batch["attention_mask"])
        return heads[batch["task_index"]](pooled, batch.get("choice_mask"))

    def loss(
        self,
        model: PreTrainedModel,
        heads: nn.Module | None,
        batch: Batch,
        label_smoothing: float = 0.0,
    ) -> torch.Tensor:
        logits = self._logits(model, heads, batch)
        head = heads[batch["task_index"]]
        return head.loss(logits, batch["labels"], label_smoothing, batch.get("choice_mask"))

    def predict(
        self,
        model: PreTrainedModel,
        heads: nn.Module | None,
        batch: Batch,
        task: Task,
        tokenizer: PreTrainedTokenizerBase | None,
    ) -> list[Any]:
        return heads[batch["task_index"]].predict(self._logits(model, heads, batch))

    def predict_with_probabilities(
        self,
        model: PreTrainedModel,
        heads: nn.Module | None,
        batch: Batch,
        task: Task,
        tokenizer: PreTrainedTokenizerBase | None,
    ) -> tuple[list[Any], list[list[float]] | None]:
        """The softmax of the head's logits: over classes, or over an example's real choices."""
        head = heads[batch["task_index"]]
        logits = self._logits(model, heads, batch)
        predictions = head.predict(logits)
        if task.head == Head.REGRESSION:
            return predictions, None
        probabilities = logits.float().softmax(-1)
        if task.head == Head.MULTIPLE_CHOICE:
            mask = batch["choice_mask"]
            return predictions, [p[m].tolist() for p, m in zip(probabilities, mask, strict=True)]
        return predictions, probabilities.tolist()
