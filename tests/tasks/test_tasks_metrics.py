"""Every metric on values computed by hand, and each task's metric set and score."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from hyperpeft.tasks import EncoderExample, TextToTextExample, get_task
from hyperpeft.tasks import metrics as m

# gold  1 0 0 1 ; predicted 1 0 1 1  ->  TP=2 TN=1 FP=1 FN=0
GOLD, PRED = [1, 0, 0, 1], [1, 0, 1, 1]


def test_accuracy_f1_and_matthews_on_a_small_confusion():
    assert m.accuracy(PRED, GOLD) == 0.75
    assert m.f1(PRED, GOLD) == pytest.approx(0.8)  # P = 2/3, R = 1
    assert m.matthews(PRED, GOLD) == pytest.approx(2 / math.sqrt(12))  # (2*1-1*0)/sqrt(3*2*2*1)


def test_macro_f1_averages_every_class():
    # class 0: P=1 R=1/2 F=2/3 ; class 1: P=1/2 R=1 F=2/3 ; class 2: never predicted, F=0
    gold, pred = [0, 0, 1, 2], [0, 1, 1, -1]
    assert m.macro_f1(pred, gold, num_labels=3) == pytest.approx(4 / 9)


def test_unparsed_predictions_count_as_wrong():
    assert m.accuracy([-1, 0], [1, 0]) == 0.5
    assert m.f1([-1, 1], [1, 1]) == pytest.approx(2 / 3)  # one TP, one FN
    assert math.isfinite(m.matthews([-1, 0, 1], [1, 0, 1]))


def test_correlations():
    # pearson([1,2,3],[1,2,4]) = 3 / sqrt(2 * 42/9)
    assert m.pearson([1, 2, 3], [1, 2, 4]) == pytest.approx(3 / math.sqrt(2 * 42 / 9))
    assert m.spearman([1, 2, 3], [1, 2, 4]) == pytest.approx(1.0)
    assert m.spearman([3, 2, 1], [1, 2, 4]) == pytest.approx(-1.0)
    assert m.pearson([2, 2, 2], [1, 2, 3]) == 0.0  # constant predictions: no NaN
    # an unparsed (NaN) prediction becomes min(gold) - 1 = 0
    assert m.pearson([math.nan, 2, 3], [1, 2, 3]) == pytest.approx(m.pearson([0, 2, 3], [1, 2, 3]))


def test_exact_match_by_question():
    groups = ["q1", "q1", "q2", "q2", "q3"]
    gold = [1, 0, 1, 0, 1]
    pred = [1, 0, 0, 0, 1]  # q1 right, q2 one answer wrong, q3 right
    assert m.exact_match_by_group(pred, gold, groups) == pytest.approx(2 / 3)


def test_squad_normalisation_and_token_f1():
    assert m.normalize_answer("The  U.S.  Army!") == "us army"
    assert m.token_f1("Barack Obama", "Obama") == pytest.approx(2 / 3)
    assert m.token_f1("the Obama", "Obama.") == 1.0
    assert m.token_f1("Kenya", "Obama") == 0.0
    assert m.answer_scores("Obama", ["Barack Obama", "Obama"]) == (1.0, 1.0)
    assert m.answer_scores("Barack", ["Barack Obama", "Obama"]) == (pytest.approx(2 / 3), 0.0)


def test_multirc_metrics_f1a_and_em():
    task = get_task("multirc")
    examples = [
        EncoderExample([("q a", "p")], label, group)
        for label, group in zip([1, 0, 1, 0], ["0-1", "0-1", "0-2", "0-2"], strict=True)
    ]
    metrics = task.compute_metrics([1, 0, 1, 1], examples)  # one false positive in question 0-2
    assert metrics["f1a"] == pytest.approx(0.8)  # TP=2 FP=1 FN=0
    assert metrics["em"] == 0.5
    assert task.score(metrics) == pytest.approx(0.65)


def test_record_metrics_from_choices_and_from_text():
    task = get_task("record")
    meta = {"candidates": ["Kenya", "Barack Obama", "Obama"], "answers": ["Barack Obama", "Obama"]}
    encoder = [EncoderExample([("x", "y")] * 3, 1, "0-0", meta)] * 2
    assert task.compute_metrics([2, 0], encoder) == {"f1": 0.5, "em": 0.5}
    text = [TextToTextExample("s", "Barack Obama", 1, "0-0", meta)] * 3
    predictions = [task.parse_prediction(t) for t in ["the obama", "Barack", "no idea"]]
    metrics = task.compute_metrics(predictions, text)
    assert metrics["em"] == pytest.approx(1 / 3)
    assert metrics["f1"] == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert task.compute_metrics([None], text[:1]) == {"f1": 0.0, "em": 0.0}


def test_cb_metrics_and_score():
    task = get_task("cb")
    examples = [EncoderExample([("p", "h")], label) for label in [0, 0, 1, 2]]
    metrics = task.compute_metrics([0, 1, 1, 0], examples)
    # class 0: P=1/2 R=1/2 F=1/2 ; class 1: P=1/2 R=1 F=2/3 ; class 2: F=0
    assert metrics["macro_f1"] == pytest.approx((1 / 2 + 2 / 3) / 3)
    assert metrics["accuracy"] == 0.5
    assert task.score(metrics) == pytest.approx(((1 / 2 + 2 / 3) / 3 + 0.5) / 2)


def test_stsb_metrics_on_parsed_text():
    task = get_task("stsb")
    examples = [TextToTextExample("s", "x", label) for label in [1.0, 2.0, 4.0]]
    predictions = [task.parse_prediction(t) for t in ["1.0", "2. 0", "3.0"]]
    metrics = task.compute_metrics(predictions, examples)
    assert metrics["pearson"] == pytest.approx(3 / math.sqrt(2 * 42 / 9))
    assert metrics["spearman"] == pytest.approx(1.0)
    garbled = task.compute_metrics([task.parse_prediction("similar")] + predictions[1:], examples)
    assert all(math.isfinite(v) for v in garbled.values())


EXPECTED_METRICS = {
    "cola": ["matthews"],
    "sst2": ["accuracy"],
    "mrpc": ["f1", "accuracy"],
    "qqp": ["f1", "accuracy"],
    "stsb": ["pearson", "spearman"],
    "mnli": ["accuracy"],
    "qnli": ["accuracy"],
    "rte": ["accuracy"],
    "boolq": ["accuracy"],
    "cb": ["macro_f1", "accuracy"],
    "copa": ["accuracy"],
    "multirc": ["f1a", "em"],
    "record": ["f1", "em"],
    "superglue-rte": ["accuracy"],
    "wic": ["accuracy"],
    "wsc": ["accuracy"],
}


@pytest.mark.parametrize("name", sorted(EXPECTED_METRICS))
def test_each_task_has_the_spec_metrics(name):
    task = get_task(name)
    assert task.metric_names == EXPECTED_METRICS[name]
    fake = {metric: 0.25 * (i + 1) for i, metric in enumerate(task.metric_names)}
    assert task.score(fake) == pytest.approx(sum(fake.values()) / len(fake))


def test_score_needs_every_metric():
    with pytest.raises(KeyError, match="spearman"):
        get_task("stsb").score({"pearson": 0.5})


def test_the_label_metrics_are_one_table_by_head():
    predictions, labels = [1, 0, 1, 1, 2], [1, 0, 0, 1, 2]
    assert m.label_metric("accuracy", predictions, labels, 3) == m.accuracy(predictions, labels)
    assert m.label_metric("macro_f1", predictions, labels, 3) == m.macro_f1(predictions, labels, 3)
    assert set(m.LABEL_METRICS) == set(m.CLASSIFICATION_METRICS) | set(m.REGRESSION_METRICS)
    assert not set(m.CLASSIFICATION_METRICS) & set(m.REGRESSION_METRICS)
    with pytest.raises(KeyError, match="bleu"):
        m.label_metric("bleu", predictions, labels, 3)


def test_f1_macro_f1_and_matthews_equal_scikit_learns_on_random_and_degenerate_inputs():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    for trial in range(400):
        n, k = int(rng.integers(1, 30)), int(rng.integers(2, 4))
        labels = rng.integers(0, k, n)
        predictions = [
            rng.integers(-1, k, n),  # -1: unparsed
            np.full(n, rng.integers(-1, k)),  # a constant prediction
            labels.copy(),
        ][trial % 3]
        if trial % 5 == 0:
            labels = np.full(n, rng.integers(0, k))  # one class only
        reference_macro = sklearn_metrics.f1_score(
            labels, predictions, labels=list(range(k)), average="macro", zero_division=0.0
        )
        assert m.macro_f1(predictions, labels, k) == pytest.approx(reference_macro, abs=1e-6)
        reference_mcc = sklearn_metrics.matthews_corrcoef(labels, predictions)
        assert m.matthews(predictions, labels, k) == pytest.approx(reference_mcc, abs=1e-6)
        if k == 2:
            reference_f1 = sklearn_metrics.f1_score(
                labels, predictions, labels=[1], average="macro", zero_division=0.0
            )
            assert m.f1(predictions, labels) == pytest.approx(reference_f1, abs=1e-6)


def test_a_training_process_does_not_import_scikit_learn():
    code = "import hyperpeft.cli, hyperpeft.recipe.fit, hyperpeft.tasks.metrics, sys; "
    code += "print(sorted(m for m in ('sklearn', 'pandas') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
