"""Few-shot transfer through the command: hyperformer++ trained on a two-task mixture, then
`init_from=` that run on a third task with k examples.

The trained run is shared by the module's tests. A transfer with `trainer.max_steps=0` saves the
weights it starts from (its only evaluation is the best so far), so its checkpoint shows step 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from safetensors.torch import load_file

from hyperpeft.config import compose_config, register_configs
from hyperpeft.recipe.build import build_parts
from tests.helpers.commands import FAST, HYPERPEFT, run_command

pytestmark = pytest.mark.e2e

SOURCE = (
    "model=tiny-bert",
    "method=hyperformer++",
    "method.reduction_factor=8",
    "seed=3",
)
MIXTURE = ("task=glue", "task.tasks=[rte,mrpc]")
FEW_SHOT = ("task=cb", "data.max_train_examples=16", "data.max_eval_examples=24")
WEIGHTS = Path("checkpoint") / "model.safetensors"


def hyperpeft(cwd: Path, run_dir: Path, *overrides: str):
    done = run_command(HYPERPEFT, *overrides, f"hydra.run.dir={run_dir}", cwd=cwd)
    assert done.returncode in (0, 2), done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A hyperformer++ run on rte and mrpc."""
    cwd = tmp_path_factory.mktemp("transfer")
    run_dir = cwd / "mixture"
    done = hyperpeft(cwd, run_dir, *SOURCE, *MIXTURE, *FAST)
    assert done.returncode == 0, done.stderr[-3000:]
    return run_dir


def weights(run_dir: Path) -> dict[str, torch.Tensor]:
    return load_file(str(run_dir / WEIGHTS))


def test_a_new_task_starts_from_the_shared_weights_and_a_fresh_task_embedding(trained, tmp_path):
    done = hyperpeft(tmp_path, tmp_path / "cb", *SOURCE, *FEW_SHOT, f"init_from={trained}",
                     "trainer.max_steps=0")  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "fresh: cb; left out: rte, mrpc" in done.stdout
    source, start = weights(trained), weights(tmp_path / "cb")

    shared = [name for name in source if "task_embeddings" not in name and "heads." not in name]
    assert any("hypernetworks" in name for name in shared)
    assert any(name.startswith("backbone.") for name in shared)  # the trained layer norms
    assert all(torch.equal(start[name], source[name]) for name in shared)
    # the per-task weights of rte and mrpc are left out; cb's are its own
    assert set(start) == set(shared) | {"method.task_embeddings.cb"} | {
        name for name in start if name.startswith("heads.0.")
    }
    # cb's task embedding is this run's fresh N(0, 1) draw, as every task embedding starts
    register_configs()
    cfg = compose_config([*SOURCE, *FEW_SHOT])
    pl.seed_everything(cfg.seed, verbose=False)
    fresh = build_parts(cfg).method.task_embeddings["cb"].detach()
    assert torch.equal(start["method.task_embeddings.cb"], fresh)
    assert not any(
        torch.equal(fresh, source[f"method.task_embeddings.{t}"]) for t in ("rte", "mrpc")
    )


def test_the_transferred_run_trains(trained, tmp_path):
    done = hyperpeft(tmp_path, tmp_path / "cb", *SOURCE, *FEW_SHOT, f"init_from={trained}",
                     *FAST[:4])  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "cb" / "results.json").read_text())
    assert results["steps"] == 6 and list(results["metrics"]) == ["cb"]
    assert results["config"]["init_from"] == str(trained)
    source, after = weights(trained), weights(tmp_path / "cb")
    generator = "method.hypernetworks.encoder.generator.weight"
    assert results["best_step"] > 0  # so the saved weights are a trained step's
    assert not torch.equal(after[generator], source[generator])


def test_a_wrong_method_is_one_line_and_exit_2(trained, tmp_path):
    done = hyperpeft(tmp_path, tmp_path / "adapter", "model=tiny-bert", "method=adapter",
                     "seed=3", *FEW_SHOT, f"init_from={trained}", *FAST)  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: init_from={str(trained)!r}: was trained with method=hyperformer++, this run "
        "has method=adapter; transfer needs the same method"
    ]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (("model=tiny-t5",), "was trained with model=tiny-bert, this run has model=tiny-t5"),
        (("method.reduction_factor=4",), "does not fit this run: method.reduction_factor=8 there, 4 here"),
        (("seed=4",), "the source ran with seed=3, this run has seed=4; use seed=3"),
        (("+init_tasks.cb=qnli",), "init_tasks={'cb': 'qnli'}: values are tasks of the trained run (rte, mrpc)"),
        (("+init_tasks.rte=mrpc",), "init_tasks={'rte': 'mrpc'}: keys are this run's new tasks (cb)"),
    ],
)  # fmt: skip
def test_a_source_that_cannot_load_is_one_line_naming_what_differs(
    trained, cli, overrides, expected
):
    outcome = cli(*SOURCE, *FEW_SHOT, f"init_from={trained}", *overrides, *FAST)
    assert outcome.code == 2 and "Traceback" not in outcome.stderr
    errors = [line for line in outcome.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and expected in errors[0], outcome.stderr[-2000:]


def test_a_missing_source_is_one_line(cli, tmp_path):
    outcome = cli(*SOURCE, *FEW_SHOT, f"init_from={tmp_path / 'nowhere'}", *FAST)
    assert outcome.code == 2
    assert "no trained run there; give a run folder" in outcome.stderr


def test_a_mapped_new_task_starts_from_the_trained_tasks_weights(trained, inprocess):
    done = inprocess(*SOURCE, *FEW_SHOT, f"init_from={trained}", "+init_tasks.cb=rte",
                     "trainer.max_steps=0")  # fmt: skip
    assert "cb from rte" in done.stdout
    start, source = weights(done.run_dir), weights(trained)
    assert torch.equal(start["method.task_embeddings.cb"], source["method.task_embeddings.rte"])


def test_tasks_the_source_has_keep_their_own_weights_heads_by_task_not_index(trained, inprocess):
    # mrpc was the source's task 1; here it is task 0, with a new task after it
    done = inprocess(*SOURCE, "task=glue", "task.tasks=[mrpc,cola]", f"init_from={trained}",
                     "trainer.max_steps=0", *FAST[3:])  # fmt: skip
    start, source = weights(done.run_dir), weights(trained)
    assert torch.equal(start["method.task_embeddings.mrpc"], source["method.task_embeddings.mrpc"])
    assert torch.equal(start["heads.0.classifier.weight"], source["heads.1.classifier.weight"])
    assert not torch.equal(
        start["heads.1.classifier.weight"][:2], source["heads.0.classifier.weight"]
    )
