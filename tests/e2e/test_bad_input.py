"""Bad input gets one line naming the key, the value and what is allowed; exit 2, no traceback.

These parse the command line in-process (tests/helpers/cli_inprocess.py): what is checked is
the command's report, wherever the value is rejected; each fails before training.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from hyperpeft.cli import main
from hyperpeft.tasks import TASK_NAMES
from tests.helpers.commands import FAST

pytestmark = pytest.mark.e2e


def _one_line_error(outcome) -> str:
    assert outcome.code == 2, outcome.stderr[-3000:]
    assert "Traceback" not in outcome.stderr
    lines = [line for line in outcome.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, outcome.stderr[-3000:]
    return lines[0]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["task.tasks=[rte,nope]"], "task.tasks='nope'"),
        (["task=glue", "task.temperature=0"], "task.temperature=0"),
        (["task.tasks=[]"], "task.tasks=[]"),
        (["method=adapter", "method.reduction_factor=5"], "method.reduction_factor=5"),
        (["method=compacter", "method.phm_dim=5"], "method.phm_dim=5"),
        (["method=lora", "method.rank=0"], "method.rank=0"),
        (["model=hub", "model.path=no-such/model-anywhere"], "model.path='no-such/model-anywhere'"),
        (["model.config.model_type=bert-generation"], "supported: bert, roberta"),
        (["+trainer.maxsteps=5"], "trainer.maxsteps=5: not a key of trainer; one of: max_steps,"),
        (["trainer.max_steps=lots"], "trainer.max_steps='lots': an integer"),
        (["method=lora", "method.rank=many"], "method.rank='many': an integer"),
        (["+method.phm_dimm=4"], "method.phm_dimm=4: not a key of method; one of: name,"),
        (["seed=abc"], "seed='abc': an integer"),
        (["trainer.resume=/no/such/run"], "trainer.resume='/no/such/run': no such folder"),
    ],
)
def test_bad_values(cli, overrides, expected):
    line = _one_line_error(cli("model=tiny-bert", *overrides, *FAST))
    assert expected in line


def test_missing_files_of_a_mixture_name_each_file_and_the_override(cli, data_dir):
    line = _one_line_error(cli("model=tiny-bert", "method=full", "task=superglue", *FAST))
    assert "BoolQ/train.jsonl" in line and "ReCoRD" in line
    assert "task.tasks=[cb,copa,multirc,superglue-rte,wic,wsc]" in line


def test_an_empty_data_folder_says_where_files_were_expected(cli, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    line = _one_line_error(cli("model=tiny-bert", "method=full", "task=rte", f"data.dir={empty}"))
    assert str(empty / "glue" / "RTE") in line and "data.dir" in line


def test_a_required_value_left_unset(cli):
    line = _one_line_error(cli("model=tiny-bert", "method=full", "task=custom", *FAST))
    assert "task.custom.my_task.train" in line


def test_a_malformed_row_names_file_and_line(cli, tmp_path):
    train = tmp_path / "train.csv"
    train.write_text("sentence,label\ngood movie,positive\nbad\n")
    line = _one_line_error(
        cli("model=tiny-bert", "method=full", "task=custom", f"task.custom.my_task.train={train}")
    )
    assert "train.csv" in line and "3" in line


def test_a_checkpoint_of_another_method_is_refused(cli, inprocess, tmp_path):
    inprocess("model=tiny-bert", "method=full", "task=rte", *FAST)
    weights = tmp_path / "run" / "checkpoint" / "model.safetensors"
    line = _one_line_error(
        cli(
            "model=tiny-bert",
            "method=lora",
            "task=rte",
            f"checkpoint={weights}",
            *FAST,
            run_dir=tmp_path / "second",
        )
    )
    assert "checkpoint=" in line and "method" in line


def test_an_unknown_method_lists_the_options(cli):
    line = _one_line_error(cli("method=nope"))
    assert line.startswith("error: method=nope: unknown option; one of: adapter, bitfit")


def test_an_unknown_task_lists_every_registered_task_and_the_mixtures(cli):
    line = _one_line_error(cli("task=nope"))
    assert line.startswith("error: task=nope: unknown option; one of: ")
    options = line.split("one of: ", 1)[1].split(", ")
    assert sorted(options) == sorted([*TASK_NAMES, "glue", "superglue", "custom"])


def test_help_lists_every_task_option(cli):
    outcome = cli("--help")
    assert outcome.code == 0
    line = next(line for line in outcome.stdout.splitlines() if line.startswith("task: "))
    assert set(line.removeprefix("task: ").split(", ")) == {
        *TASK_NAMES,
        "glue",
        "superglue",
        "custom",
    }


def test_a_type_the_task_schema_refuses_is_one_line(cli):
    line = _one_line_error(cli("task=glue", "task.temperature=warm"))
    assert line == "error: task.temperature='warm': a number"


def test_an_unknown_key_is_one_line(cli):
    line = _one_line_error(cli("trainer.max_stepz=3"))
    assert "trainer.max_stepz" in line


def test_inputs_longer_than_the_position_table(cli):
    line = _one_line_error(cli("model=tiny-bert", "model.max_length=4096", *FAST))
    assert line.startswith("error: model.max_length=4096: tiny-bert has 128 positions")


def test_a_loss_that_turns_nan_stops_the_run_with_one_line(cli, tmp_path):
    outcome = cli(
        "model=tiny-bert",
        "method=full",
        "task=rte",
        "trainer.learning_rate=1e30",
        "trainer.gradient_clip=0",
        "trainer.warmup_ratio=0",
        *FAST,
    )
    line = _one_line_error(outcome)
    assert "the training loss became" in line and "step" in line
    assert not (tmp_path / "run" / "results.json").exists()


def test_no_training_examples_is_one_line(cli):
    line = _one_line_error(
        cli("model=tiny-bert", "method=full", *FAST, "data.max_train_examples=0")
    )
    assert line == "error: data.max_train_examples=0: a number > 0"


def test_a_run_folder_under_a_regular_file_is_one_line(cli, tmp_path):
    regular = tmp_path / "notes.txt"
    regular.write_text("not a folder")
    line = _one_line_error(cli("model=tiny-bert", *FAST, run_dir=regular / "run"))
    assert f"hydra.run.dir='{regular / 'run'}'" in line and "a regular file" in line
    line = _one_line_error(cli("model=tiny-bert", *FAST, run_dir=regular))
    assert line == f"error: hydra.run.dir='{regular}': is a file; give a folder"
    unwritable = Path("/proc/no-run-here")  # no one may create a folder there, root included
    line = _one_line_error(cli("model=tiny-bert", *FAST, run_dir=unwritable))
    assert line.startswith(f"error: hydra.run.dir='{unwritable}': the run folder cannot be created")


def test_a_glue_file_whose_header_lacks_a_column_names_file_and_column(cli, tmp_path, data_dir):
    rte = tmp_path / "data" / "glue" / "RTE"
    rte.mkdir(parents=True)
    shutil.copy(data_dir / "glue" / "RTE" / "dev.tsv", rte / "dev.tsv")
    original = (data_dir / "glue" / "RTE" / "train.tsv").read_text().splitlines()
    header = original[0].split("\t")
    dropped = [line.split("\t")[:-1] for line in original[:50]]
    assert header[-1] == "label"
    (rte / "train.tsv").write_text("\n".join("\t".join(fields) for fields in dropped) + "\n")
    line = _one_line_error(
        cli("model=tiny-bert", "method=full", "task=rte", f"data.dir={tmp_path / 'data'}", *FAST)
    )
    assert line.startswith(f"error: {rte / 'train.tsv'}, line 1: the header has no column 'label'")


def test_resuming_with_another_method_is_refused_and_writes_nothing(cli, inprocess, tmp_path):
    inprocess("model=tiny-bert", "method=full", "task=rte", *FAST)
    run_dir = tmp_path / "run"
    (run_dir / "results.json").unlink()  # as if interrupted: the run is not complete
    before = {path: path.stat().st_mtime_ns for path in run_dir.rglob("*")}
    line = _one_line_error(cli(f"trainer.resume={run_dir}", "method=lora", run_dir=run_dir))
    assert line.startswith("error: method='lora': a resumed run keeps method='full'")
    assert {path: path.stat().st_mtime_ns for path in run_dir.rglob("*")} == before


# ---- messages that point at the user's own files and keys -------------------------------------


def _custom(train, *extra: str) -> tuple[str, ...]:
    return (
        "model=tiny-bert",
        "method=full",
        "task=custom",
        "task.tasks=[reviews]",
        f"+task.custom.reviews.train={train}",
        "+task.custom.reviews.text_fields=[review]",
        "+task.custom.reviews.label_names=[negative,positive]",
        *extra,
        *FAST,
    )


@pytest.mark.parametrize("content", ["", "review,label\n"], ids=["empty", "header only"])
def test_a_custom_file_without_rows_is_named(cli, tmp_path, content):
    train = tmp_path / "reviews.csv"
    train.write_text(content)
    line = _one_line_error(cli(*_custom(train)))
    assert line == (
        f"error: {train}: no data rows (the file is empty, or holds a header only); "
        "task.custom.reviews.train needs a file with rows"
    )


def test_a_custom_file_that_does_not_exist_is_named_by_its_key(cli, tmp_path):
    line = _one_line_error(cli(*_custom("data/nowhere.csv")))
    assert "task.custom.reviews.train='data/nowhere.csv'" in line
    assert "HYPERPEFT_DATA_DIR" not in line and "data.dir" not in line


def test_forgetting_task_tasks_says_to_set_it(cli, tmp_path):
    train = tmp_path / "reviews.csv"
    train.write_text("review,label\ngood,1\nbad,0\n")
    overrides = [o for o in _custom(train) if not o.startswith("task.tasks")]
    line = _one_line_error(cli(*overrides))
    assert line.endswith("set task.tasks=[reviews]")
    assert "???" not in line


# ---- a failing invocation leaves no run folder ----------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["data.max_train_examples=0"], "data.max_train_examples=0"),  # the config's checks
        (["method=lora", "method.rank=0"], "method.rank=0"),  # refused as the method is built
        (["data.dir=/no/such/data"], "data for rte not found"),  # refused as data is looked for
        (["task=custom"], "task.custom.my_task.train"),  # a required value left unset
    ],
)
def test_bad_input_leaves_no_run_folder(capsys, tmp_path, monkeypatch, overrides, expected):
    """The command as typed, with the run folder conf/config.yaml names (not hydra.run.dir)."""
    monkeypatch.chdir(tmp_path)
    argv = ["hyperpeft", "model=tiny-bert", "method=full", *FAST, *overrides]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 2
    assert capsys.readouterr().err.startswith(f"error: {expected}")
    runs = tmp_path / "outputs" / "runs"
    assert not runs.exists() or list(runs.iterdir()) == []


def test_a_named_run_folder_is_not_left_behind_either(cli, tmp_path):
    named = tmp_path / "named" / "run"
    for bad in ("trainer.max_steps=lots", "data.max_train_examples=0"):  # composing; checking
        _one_line_error(cli("model=tiny-bert", "method=full", *FAST, bad, run_dir=named))
        assert not named.exists()
    existing = tmp_path / "mine"
    existing.mkdir()
    _one_line_error(cli("model=tiny-bert", "method=full", *FAST, "seed=abc", run_dir=existing))
    assert existing.is_dir()  # not this invocation's to remove


def test_the_slurm_launcher_without_slurm_is_one_line(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-srun-here"))
    sweep = tmp_path / "sweep"
    line = _one_line_error(
        cli("-m", "hydra/launcher=slurm", "model=tiny-bert", *FAST, f"hydra.sweep.dir={sweep}")
    )
    assert line.startswith("error: hydra/launcher=slurm: this machine has no SLURM")
    assert "hydra/launcher=local" in line
