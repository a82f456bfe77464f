"""The benchmarks' metrics, as fractions (accuracy in [0, 1], correlations in [-1, 1]).

Predictions may hold -1 (classification) or NaN (regression) where a generated text could not be
parsed: they count as wrong answers, never as errors. Degenerate inputs (a constant prediction
column, an empty class) give 0.0 instead of NaN, so a mean score always exists.

F1 and Matthews' correlation are torchmetrics' (Lightning imports it already; scikit-learn's
metrics would add pandas and pyarrow, about 76 MB, to every training process). An unparsed
prediction goes to a class of its own, after the task's classes: wrong for every label, and
in no class's F1 (scikit-learn's result for the same inputs; the tests compare the two).
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

import numpy as np
import torch
from scipy.stats import pearsonr, spearmanr
from torchmetrics.functional.classification import (
    multiclass_f1_score,
    multiclass_matthews_corrcoef,
)


def accuracy(predictions: Sequence[int], labels: Sequence[int]) -> float:
    if len(labels) == 0:
        return 0.0
    return float(np.mean(np.asarray(predictions) == np.asarray(labels)))


def _classes(
    predictions: Sequence[int], labels: Sequence[int], num_labels: int
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Predictions and labels as tensors, an unparsed prediction (-1) in class `num_labels`."""
    guess = torch.as_tensor(np.asarray(predictions, dtype=np.int64))
    gold = torch.as_tensor(np.asarray(labels, dtype=np.int64))
    return torch.where(guess < 0, num_labels, guess), gold, num_labels + 1


def _per_class_f1(predictions: Sequence[int], labels: Sequence[int], num_labels: int):
    guess, gold, classes = _classes(predictions, labels, num_labels)
    scores = multiclass_f1_score(
        guess, gold, num_classes=classes, average="none", zero_division=0.0, validate_args=False
    )
    return scores[:num_labels]


def f1(predictions: Sequence[int], labels: Sequence[int]) -> float:
    """Binary F1 of class 1 (the positive class: equivalent, duplicate, True)."""
    if len(labels) == 0:
        return 0.0
    return float(_per_class_f1(predictions, labels, 2)[1])


def macro_f1(predictions: Sequence[int], labels: Sequence[int], num_labels: int) -> float:
    """Unweighted mean of the per-class F1 over every class (CB's multi-class F1)."""
    if len(labels) == 0:
        return 0.0
    return float(_per_class_f1(predictions, labels, num_labels).mean())


def matthews(predictions: Sequence[int], labels: Sequence[int], num_labels: int = 2) -> float:
    if len(labels) == 0:
        return 0.0
    guess, gold, classes = _classes(predictions, labels, num_labels)
    value = float(multiclass_matthews_corrcoef(guess, gold, classes, validate_args=False))
    return 0.0 if math.isnan(value) else value


def _finite(predictions: Sequence[float], labels: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Unparsed (NaN) predictions become a value below every label: wrong, but computable."""
    gold = np.asarray(labels, dtype=float)
    guess = np.asarray(predictions, dtype=float)
    if len(gold) and not np.isfinite(guess).all():
        guess = np.where(np.isfinite(guess), guess, gold.min() - 1.0)
    return guess, gold


def _correlation(
    function: Callable, predictions: Sequence[float], labels: Sequence[float]
) -> float:
    guess, gold = _finite(predictions, labels)
    if len(gold) < 2 or np.ptp(guess) == 0 or np.ptp(gold) == 0:
        return 0.0  # undefined for a constant column
    value = float(function(guess, gold)[0])
    return 0.0 if math.isnan(value) else value


def pearson(predictions: Sequence[float], labels: Sequence[float]) -> float:
    return _correlation(pearsonr, predictions, labels)


def spearman(predictions: Sequence[float], labels: Sequence[float]) -> float:
    return _correlation(spearmanr, predictions, labels)


def exact_match_by_group(
    predictions: Sequence[int], labels: Sequence[int], groups: Sequence[str]
) -> float:
    """MultiRC's EM: the fraction of questions whose answers are all labelled right."""
    right: dict[str, bool] = defaultdict(lambda: True)
    for prediction, label, group in zip(predictions, labels, groups, strict=True):
        right[group] = right[group] and prediction == label
    return float(np.mean(list(right.values()))) if right else 0.0


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD's normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(char for char in text.lower() if char not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def token_f1(prediction: str, gold: str) -> float:
    predicted, expected = normalize_answer(prediction).split(), normalize_answer(gold).split()
    common = sum((Counter(predicted) & Counter(expected)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


def answer_scores(prediction: str, answers: Sequence[str]) -> tuple[float, float]:
    """(F1, EM) of one prediction: the best over the gold answers, as ReCoRD scores it."""
    if not answers:
        return 0.0, 0.0
    best_f1 = max(token_f1(prediction, answer) for answer in answers)
    best_em = max(
        float(normalize_answer(prediction) == normalize_answer(answer)) for answer in answers
    )
    return best_f1, best_em


# The label-level metrics a task may list in `metric_names`, by name: each takes (predictions,
# labels, number of classes). A custom task picks from the table of its head.
LabelMetric = Callable[[Sequence, Sequence, int], float]
CLASSIFICATION_METRICS: dict[str, LabelMetric] = {
    "accuracy": lambda predictions, labels, _: accuracy(predictions, labels),
    "f1": lambda predictions, labels, _: f1(predictions, labels),
    "macro_f1": macro_f1,
    "matthews": matthews,
}
REGRESSION_METRICS: dict[str, LabelMetric] = {
    "pearson": lambda predictions, labels, _: pearson(predictions, labels),
    "spearman": lambda predictions, labels, _: spearman(predictions, labels),
}
LABEL_METRICS: dict[str, LabelMetric] = {**CLASSIFICATION_METRICS, **REGRESSION_METRICS}


def label_metric(name: str, predictions: Sequence, labels: Sequence, num_labels: int) -> float:
    """One of the label-level metrics by name."""
    if name not in LABEL_METRICS:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(LABEL_METRICS)}")
    return LABEL_METRICS[name](predictions, labels, num_labels)
