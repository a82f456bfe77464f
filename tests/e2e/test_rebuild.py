"""A run rebuilt from its checkpoint alone is the trained run: the same config, the same weights
(the frozen random backbone from the run's seed, the trained ones from the file), the same outputs.

The training goes through the recipe's own steps, so the trained module is at hand to compare.
"""

from __future__ import annotations

import pytest
import torch
from omegaconf import OmegaConf
from safetensors.torch import save_file

from hyperpeft.errors import ConfigError
from hyperpeft.recipe import load_trained_run
from hyperpeft.recipe.build import build_module, build_parts, start_run
from hyperpeft.recipe.data import prepare_data
from hyperpeft.recipe.fit import fit_and_test
from tests.helpers.commands import FAST
from tests.helpers.inprocess import compose_config

pytestmark = pytest.mark.e2e


def _outputs(module, batch) -> tuple[torch.Tensor, list]:
    """The loss (logits of heads, or teacher-forced T5 logits, behind it) and the predictions."""
    with torch.no_grad():
        return module.forward_loss(batch), module.predict_batch(batch)


@pytest.mark.parametrize("model", ["tiny-bert", "tiny-t5"])
def test_a_rebuilt_run_gives_the_trained_outputs(model, tmp_path, monkeypatch):
    monkeypatch.setenv("HYPERPEFT_CACHE_DIR", str(tmp_path / "cache"))
    # hyperformer++: shared generated weights, which must be regenerated from the loaded ones
    overrides = (f"model={model}", "method=hyperformer++", "method.reduction_factor=8", "task=rte")
    cfg = compose_config(*overrides, *FAST)
    run_dir = tmp_path / "run"
    metadata = start_run(cfg, run_dir)
    parts = build_parts(cfg)
    data = prepare_data(cfg, parts)
    trained = build_module(cfg, parts, eval_examples=data.eval_examples)
    fit_and_test(cfg, trained, data.datamodule, run_dir, metadata)
    trained.eval()

    rebuilt = load_trained_run(run_dir)  # the run folder; the checkpoint file works as well

    assert OmegaConf.to_container(rebuilt.cfg) == OmegaConf.to_container(cfg, resolve=True)
    assert [task.name for task in rebuilt.tasks] == ["rte"]
    assert not rebuilt.module.training
    expected = dict(trained.named_parameters())
    got = dict(rebuilt.module.named_parameters())
    assert got.keys() == expected.keys()
    assert all(torch.equal(got[name], expected[name]) for name in expected)
    batch = next(iter(data.datamodule.test_dataloader()[0]))
    loss, predictions = _outputs(rebuilt.module, batch)
    expected_loss, expected_predictions = _outputs(trained, batch)
    assert torch.equal(loss, expected_loss)
    assert predictions == expected_predictions


def test_a_file_without_a_run_config_is_refused(tmp_path):
    foreign = tmp_path / "model.safetensors"
    save_file({"w": torch.zeros(2)}, str(foreign))
    with pytest.raises(ConfigError, match="checkpoint=.*holds no run config"):
        load_trained_run(foreign)
    (tmp_path / "results.json").write_text("{}")
    with pytest.raises(ConfigError, match="not a safetensors file"):
        load_trained_run(tmp_path / "results.json")
    with pytest.raises(ConfigError, match="no such file"):
        load_trained_run(tmp_path / "elsewhere")
