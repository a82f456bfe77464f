"""Every registered method, end to end through the recipe, on both architectures.

Each (model, method) pair trains a few steps on a two-task mixture of real data, tests, and
writes results.json and the checkpoint; the checks are that the parameter table, the checkpoint
and the metrics agree with each other and with what the method is. T5 runs text-to-text (CB:
three-way classification as words, COPA: the choice as words); BERT runs its task heads (COPA:
the multiple-choice head, STS-B: the regression head).

The runs compose their config and call `run` in-process (tests/helpers/inprocess.py) to skip the
libraries' import time per run, and are cached per module so the cross-method checks reuse them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pytest
from safetensors import safe_open

from hyperpeft.methods import METHOD_NAMES
from hyperpeft.tasks import get_task
from tests.helpers.commands import FAST
from tests.helpers.inprocess import InProcessRun, run_inprocess
from tests.helpers.tiny_models import ADAPTER_FAMILY

pytestmark = pytest.mark.e2e

MIXTURES = {
    "tiny-t5": ("task=superglue", "task.tasks=[cb,copa]"),
    "tiny-bert": ("task=glue", "task.tasks=[copa,stsb]"),
}
TASKS = {"tiny-t5": ["cb", "copa"], "tiny-bert": ["copa", "stsb"]}
# The tiny models are 64 wide: the default bottleneck (64 / 32 = 2) is not a multiple of the
# Compacter family's phm_dim 4, and phm-adapter's n = 12 does not divide 64. One bottleneck of 8
# for every adapter method keeps their parameter counts comparable (see the ordering tests).
METHOD_OVERRIDES = {name: ("method.reduction_factor=8",) for name in ADAPTER_FAMILY}
METHOD_OVERRIDES["phm-adapter"] += ("method.phm_dim=4",)


@dataclass
class MethodRun:
    finished: InProcessRun

    @property
    def results(self) -> dict:
        """The file the run wrote, as a user reads it."""
        return json.loads((self.finished.run_dir / "results.json").read_text())

    @property
    def weights(self) -> Path:
        return self.finished.run_dir / "checkpoint" / "model.safetensors"

    def checkpoint_shapes(self) -> dict[str, list[int]]:
        with safe_open(str(self.weights), framework="pt") as handle:
            return {key: handle.get_slice(key).get_shape() for key in handle.keys()}  # noqa: SIM118


@pytest.fixture(scope="module")
def method_run(tmp_path_factory):
    """`method_run(model, method)` trains that pair once per module and returns the run."""
    root = tmp_path_factory.mktemp("methods")
    patch = pytest.MonkeyPatch()
    patch.setenv("HYPERPEFT_CACHE_DIR", str(root / "cache"))
    patch.chdir(root)
    runs: dict[tuple[str, str], MethodRun] = {}

    def call(model: str, method: str) -> MethodRun:
        if (model, method) not in runs:
            overrides = (
                f"model={model}",
                f"method={method}",
                *MIXTURES[model],
                *METHOD_OVERRIDES.get(method, ()),
                *FAST,
            )
            finished = run_inprocess(root / f"{model}_{method}", *overrides)
            runs[model, method] = MethodRun(finished)
        return runs[model, method]

    yield call
    patch.undo()


def _numel(shape: list[int]) -> int:
    return math.prod(shape)


def _check_params(params: dict, model: str, method: str, shapes: dict[str, list[int]]) -> None:
    assert params["tasks"] == 2
    assert params["per_task"] == pytest.approx(params["trainable"] / 2)
    assert params["trainable_pct"] == pytest.approx(100 * params["trainable"] / params["backbone"])
    assert params["per_task_pct"] == pytest.approx(100 * params["per_task"] / params["backbone"])
    # the checkpoint holds exactly the trained parameters
    assert sum(_numel(shape) for shape in shapes.values()) == params["trainable"]
    heads = sum(_numel(shape) for key, shape in shapes.items() if key.startswith("heads."))
    if model == "tiny-bert":
        assert heads > 0  # one head per task on an encoder
    else:
        assert heads == 0  # text-to-text: no heads, the LM head stays as it is
    if method == "full":
        assert params["trainable"] == params["backbone"] + heads
    else:
        assert 0 < params["trainable"] < params["backbone"]


def _check_checkpoint_keys(
    method: str, tasks: list[str], keys: list[str], train_layer_norms: bool
) -> None:
    """What of the backbone a method trains, and whether it has per-task pieces."""
    backbone = [key for key in keys if key.startswith("backbone.")]
    own = [key.split(".") for key in keys if key.startswith("method.")]
    if method == "full":
        assert backbone and not own
        return
    if train_layer_norms:
        assert backbone, "train_layer_norms is on by default"
        assert all("layernorm" in key.lower() or "layer_norm" in key for key in backbone), backbone
    elif method == "bitfit":  # BERT's own biases, or T5's added zero-initialised ones
        assert all(key.endswith(".bias") for key in backbone), backbone
    else:
        assert not backbone, backbone
    assert own or method == "bitfit"
    per_task = {task for task in tasks if any(task in parts for parts in own)}
    if method in ADAPTER_FAMILY:
        assert per_task == set(tasks)  # an adapter, or a task embedding, per task
    else:
        assert not per_task  # lora and bitfit are shared by every task


def _check_metrics(results: dict, tasks: list[str]) -> None:
    assert results["tasks"] == tasks
    assert set(results["metrics"]) == set(tasks)
    assert set(results["validation"]) == set(tasks)
    for name, metrics in results["metrics"].items():
        expected = set(get_task(name).metric_names)
        assert set(metrics) == expected | {"score"}, (name, metrics)
        assert all(math.isfinite(value) for value in metrics.values()), (name, metrics)
        mean = sum(metrics[key] for key in expected) / len(expected)
        assert metrics["score"] == pytest.approx(mean)
    mean_score = sum(metrics["score"] for metrics in results["metrics"].values()) / len(tasks)
    assert results["score"] == pytest.approx(mean_score)
    assert results["steps"] == 6
    assert set(results["task_proportions"]) == set(tasks)
    assert sum(results["task_proportions"].values()) == pytest.approx(1.0)


@pytest.mark.parametrize("method", METHOD_NAMES)
@pytest.mark.parametrize("model", sorted(MIXTURES))
def test_every_method_trains_tests_and_records(method_run, model, method):
    run = method_run(model, method)
    results = run.results
    assert run.finished.result.to_json() == results  # what `run` returned is what it wrote
    assert results["method"] == method and results["model"] == model
    params = results["params"]
    assert run.weights.stat().st_size == params["checkpoint_bytes"]
    shapes = run.checkpoint_shapes()
    _check_params(params, model, method, shapes)
    train_layer_norms = results["config"]["method"].get("train_layer_norms", False)
    _check_checkpoint_keys(method, TASKS[model], list(shapes), train_layer_norms)
    _check_metrics(results, TASKS[model])
    assert f"{method} on {model}" in run.finished.stdout  # the parameter table was printed


@pytest.mark.parametrize("model", sorted(MIXTURES))
def test_parameter_counts_order_as_in_the_papers(method_run, model):
    """Same bottleneck everywhere: Compacter++ < Compacter < PHM-Adapter < Adapter, and the
    shared hypernetwork of Hyperformer++ is smaller than one per layer."""
    trainable = {
        method: method_run(model, method).results["params"]["trainable"] for method in METHOD_NAMES
    }
    assert (
        trainable["compacter++"]
        < trainable["compacter"]
        < trainable["phm-adapter"]
        < trainable["adapter"]
    )
    assert trainable["hyperformer++"] < trainable["hyperformer"]
    assert max(count for method, count in trainable.items() if method != "full") < trainable["full"]
