"""Text-to-text for encoder-decoders (T5's formulation): the model writes its answer as text.

A row becomes a source (the task name, then every field after its name) and a target (the label
as a word, STS-B as a number rounded to 0.2); the loss is the LM head's cross-entropy on the
target, and evaluation decodes greedily and parses the text back into the label space, so both
formulations share each task's metrics. No heads: the LM head is the backbone's own. A class's
probability is the likelihood of its label word as the target, normalised over the label words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from hyperpeft.data.collate import IGNORE_INDEX, pad, pad_inputs
from hyperpeft.data.features import Features
from hyperpeft.formulation.base import Batch, Formulation
from hyperpeft.tasks.base import Row, Task, TextToTextExample
from hyperpeft.tasks.head import Head


def end_of_sequence(tokenizer: PreTrainedTokenizerBase) -> int:
    """The id that ends a target: EOS, or a WordPiece tokenizer's [SEP] (which has no EOS)."""
    eos = tokenizer.eos_token_id
    return tokenizer.sep_token_id if eos is None else eos


class TextToText(Formulation):
    name = "text-to-text"

    # -- data ----------------------------------------------------------------------------------
    def example(self, task: Task, row: Row) -> TextToTextExample:
        return task.text_to_text_example(row)

    def feature_code(self, task: Task) -> list[Callable]:
        return [task.text_to_text_example, self.encode]

    def encode(
        self,
        task: Task,
        examples: Sequence[TextToTextExample],
        tokenizer: PreTrainedTokenizerBase,
        max_length: int,
    ) -> list[Features]:
        """The source as usual, the target as plain tokens plus the end of sequence."""
        sources = tokenizer(
            [example.source for example in examples], truncation=True, max_length=max_length
        )
        targets = tokenizer(
            [example.target for example in examples],
            add_special_tokens=False,
            truncation=True,
            max_length=task.max_target_tokens - 1,
        )
        eos = end_of_sequence(tokenizer)
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

    def collate(self, task: Task, features: Sequence[Features], pad_token_id: int) -> Batch:
        """Target padding is ignored by the loss."""
        batch: Batch = pad_inputs([f.input_ids[0] for f in features], pad_token_id)
        batch["labels"] = pad([f.target_ids for f in features], IGNORE_INDEX)
        return batch

    # -- model ---------------------------------------------------------------------------------
    def prepare_model(self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> None:
        """Random T5s built for tests use minilm's WordPiece tokenizer: make generation agree
        with it (for a T5 tokenizer these are the values the model already has)."""
        eos = end_of_sequence(tokenizer)
        for config in (model.config, model.generation_config):
            config.pad_token_id = tokenizer.pad_token_id
            config.eos_token_id = eos
            config.decoder_start_token_id = tokenizer.pad_token_id

    def loss(
        self,
        model: PreTrainedModel,
        heads: nn.Module | None,
        batch: Batch,
        label_smoothing: float = 0.0,
    ) -> torch.Tensor:
        """The LM head's token cross-entropy, averaged over the target tokens (padding
        ignored); smoothed over the vocabulary as the Hyperformer reference trainer does."""
        labels = batch["labels"]
        if not label_smoothing:
            return model(
                input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=labels
            ).loss
        logits = model(
            input_ids=batch["input_ids"],
            attention_mask=batch["attention_mask"],
            decoder_input_ids=model.prepare_decoder_input_ids_from_labels(labels=labels),
        ).logits
        return F.cross_entropy(
            logits.flatten(0, 1).float(),
            labels.flatten(),
            ignore_index=IGNORE_INDEX,
            label_smoothing=label_smoothing,
        )

    def predict(
        self,
        model: PreTrainedModel,
        heads: nn.Module | None,
        batch: Batch,
        task: Task,
        tokenizer: PreTrainedTokenizerBase | None,
    ) -> list[Any]:
        """Greedy decoding, then the task parses each text back into its label space."""
        generated = model.generate(
            input_ids=batch["input_ids"],
            attention_mask=batch["attention_mask"],
            max_new_tokens=task.max_target_tokens,
            num_beams=1,
            do_sample=False,
        )
        texts = tokenizer.batch_decode(generated, skip_special_tokens=True)
        return [task.parse_prediction(text.strip()) for text in texts]

    def predict_with_probabilities(
        self,
        model: PreTrainedModel,
        heads: nn.Module | None,
        batch: Batch,
        task: Task,
        tokenizer: PreTrainedTokenizerBase | None,
    ) -> tuple[list[Any], list[list[float]] | None]:
        """Greedy predictions; for classification also each label word's probability."""
        predictions = self.predict(model, heads, batch, task, tokenizer)
        if task.head != Head.CLASSIFICATION or not task.label_names:
            return predictions, None
        return predictions, self.label_probabilities(model, batch, task, tokenizer).tolist()

    def label_probabilities(
        self,
        model: PreTrainedModel,
        batch: Batch,
        task: Task,
        tokenizer: PreTrainedTokenizerBase,
    ) -> torch.Tensor:
        """`[batch, labels]`: each label word's target (encoded as `encode` encodes targets)
        scored teacher-forced, its log-likelihood summed, a softmax over the labels. The
        encoder runs once; the decoder once per label."""
        words = tokenizer(
            list(task.label_names),
            add_special_tokens=False,
            truncation=True,
            max_length=task.max_target_tokens - 1,
        )["input_ids"]
        eos = end_of_sequence(tokenizer)
        encoded = model.get_encoder()(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
        )
        size = batch["input_ids"].shape[0]
        scores = []
        for word in words:
            target = torch.tensor([word + [eos]] * size, device=batch["input_ids"].device)
            logits = model(
                encoder_outputs=encoded, attention_mask=batch["attention_mask"], labels=target
            ).logits
            token_scores = logits.float().log_softmax(-1).gather(-1, target.unsqueeze(-1))
            scores.append(token_scores.squeeze(-1).sum(-1))
        return torch.stack(scores, dim=-1).softmax(-1)
