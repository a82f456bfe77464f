"""Every method on both backbone families: a checkpoint rebuilt from its metadata alone predicts,
on rows without labels, what evaluation predicts on the same rows with their labels.

The checkpoints hold perturbed weights (a fresh LoRA or adapter is near the identity, which
would hide a method the predictor forgot to set up); each has three tasks, so the predictor
must tell the method which one it predicts (classification, regression, multiple choice).
"""

from __future__ import annotations

import pytest
import torch

from hyperpeft.config import compose_config
from hyperpeft.data.collate import Collator
from hyperpeft.methods import METHOD_NAMES
from hyperpeft.predict.labels import describe
from hyperpeft.predict.predictor import Predictor
from hyperpeft.recipe import load_trained_run
from hyperpeft.recipe.build import build_module, build_parts, run_metadata
from hyperpeft.tasks import get_task
from hyperpeft.training.checkpoints import atomic_save_weights
from tests.helpers.trained_runs import method_overrides

TASKS = ["cb", "stsb", "copa"]  # three classes, a number, two choices


def labelled_rows(task_name: str, data_dir, count: int = 5) -> list[dict]:
    task = get_task(task_name)
    return task.official_data(data_dir).validation[:count]


def save_perturbed_checkpoint(model: str, method: str, path) -> None:
    cfg = compose_config(
        [
            f"model={model}",
            *method_overrides(method),
            "task=glue",
            f"task.tasks=[{','.join(TASKS)}]",
        ]
    )
    torch.manual_seed(cfg.seed)
    module = build_module(cfg, build_parts(cfg))
    generator = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for param in module.parameters():
            if param.requires_grad:
                param.add_(torch.randn(param.shape, generator=generator) * 0.05)
    atomic_save_weights(module.trainable_state_dict(), path, run_metadata(cfg))


@pytest.mark.parametrize("model", ["tiny-bert", "tiny-t5"])
@pytest.mark.parametrize("method", METHOD_NAMES)
def test_predictions_equal_evaluations(model, method, tmp_path, data_dir):
    save_perturbed_checkpoint(model, method, tmp_path / "model.safetensors")
    trained = load_trained_run(tmp_path)
    module = trained.module
    for index, name in enumerate(TASKS):
        predictor = Predictor(trained, name)
        task = predictor.task
        labelled = labelled_rows(name, data_dir)
        rows = [
            task.input_row({field: row[field] for field in task.input_fields}, i)
            for i, row in enumerate(labelled)
        ]
        got = list(predictor.predict(rows, batch_size=len(rows)))

        # evaluation's path: labelled examples, the module's own predict_batch
        formulation = module.formulation
        examples = [formulation.example(task, row) for row in labelled]
        features = formulation.encode(task, examples, module.tokenizer, 64)
        batch = Collator(module.tokenizer.pad_token_id, index, task, formulation)(
            list(enumerate(features))
        )
        evaluated = module.predict_batch(batch)
        expected = [
            describe(task, example, prediction, None).label
            for example, prediction in zip(examples, evaluated, strict=True)
        ]
        assert [p.label for p in got] == expected, (method, name)
        if formulation.name == "encoder-heads" and task.head != "regression":
            for prediction in got:
                shares = prediction.probabilities
                assert sum(shares.values()) == pytest.approx(1.0, abs=1e-5)
                assert prediction.label == max(shares, key=shares.get)
