"""`hyperpeft-export`: each method's default format, the method-only file, and a format a method
cannot be exported to refused in one line with exit status 2."""

from __future__ import annotations

import subprocess

import pytest
import torch

from hyperpeft.export.cli import main
from hyperpeft.recipe import load_trained_run
from tests.helpers.commands import HYPERPEFT, run_command
from tests.helpers.trained_runs import method_overrides

pytestmark = pytest.mark.e2e

EXPORT = HYPERPEFT.with_name("hyperpeft-export")


def run_of(trained_runs, model: str, method: str):
    return trained_runs(f"model={model}", *method_overrides(method), "task=rte")


def export(capsys, *args: str) -> subprocess.CompletedProcess:
    try:
        code = main(list(args))
    except SystemExit as exit_:  # argparse's usage errors
        code = exit_.code
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, captured.out, captured.err)


def one_error_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def test_bitfit_on_t5_has_no_merged_form(trained_runs, tmp_path):
    run = run_of(trained_runs, "tiny-t5", "bitfit")
    done = run_command(EXPORT, str(run), "--format", "merged", "-o", "out", cwd=tmp_path)
    error = one_error_line(done)
    assert "bias-free linear layers of t5" in error and "--format safetensors" in error
    assert done.stdout == "" and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("model", "method", "default"),
    [
        ("tiny-bert", "lora", "peft"),
        ("tiny-bert", "bitfit", "merged"),
        ("tiny-t5", "bitfit", "safetensors"),
        ("tiny-bert", "compacter", "safetensors"),
    ],
)
def test_the_default_is_the_most_widely_read_format_the_run_has(
    model, method, default, trained_runs, tmp_path, capsys
):
    done = export(capsys, str(run_of(trained_runs, model, method)), "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{default}: ")


def test_the_method_only_file_rebuilds_the_run(trained_runs, tmp_path, capsys):
    run = run_of(trained_runs, "tiny-bert", "compacter")
    done = export(capsys, str(run), "--format", "safetensors", "--output", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["model.safetensors"]
    original, copy = load_trained_run(run), load_trained_run(tmp_path / "out")
    expected = dict(original.module.named_parameters())
    assert all(torch.equal(p, expected[name]) for name, p in copy.module.named_parameters())


def test_the_adapter_family_has_no_peft_or_merged_form(trained_runs, tmp_path, capsys):
    run = str(run_of(trained_runs, "tiny-bert", "compacter"))
    error = one_error_line(export(capsys, run, "--format", "peft", "-o", str(tmp_path / "a")))
    assert "only lora runs have a peft adapter" in error and "compacter" in error
    error = one_error_line(export(capsys, run, "--format", "merged", "-o", str(tmp_path / "b")))
    assert "layers of its own" in error and "--format safetensors" in error
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_bad_arguments_are_one_line(trained_runs, tmp_path, capsys):
    run = str(run_of(trained_runs, "tiny-bert", "lora"))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    error = one_error_line(export(capsys, run, "-o", str(tmp_path / "full")))
    assert "a new or empty folder" in error
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"
    error = one_error_line(export(capsys, run, "--format", "onnx", "-o", str(tmp_path / "x")))
    assert "invalid choice: 'onnx'" in error
    error = one_error_line(export(capsys, str(tmp_path / "nowhere"), "-o", str(tmp_path / "y")))
    assert "no such file" in error
    assert "required: --output" in one_error_line(export(capsys, run))
