"""`hyperpeft-predict` as a user runs it: trained runs (tiny models, a few steps through the
recipe), files of one's own in csv, tsv and jsonl or standard input, and bad input.

What only a process shows (standard input, the terminal's progress bar, exit statuses) runs the
console script; the other cases call its `main` in the test process, which is the same code
without the libraries' import time per call.
"""

from __future__ import annotations

import csv
import json
import os
import pty
import subprocess
from pathlib import Path

import pytest

from hyperpeft.predict.cli import main
from hyperpeft.predict.inputs import read_input
from hyperpeft.predict.predictor import Predictor
from hyperpeft.recipe import load_trained_run
from tests.helpers.commands import HYPERPEFT, run_command

pytestmark = pytest.mark.e2e

PREDICT = HYPERPEFT.with_name("hyperpeft-predict")
PAIRS = [
    ("A man is playing a guitar.", "A man plays music."),
    ('She said "no", then left.', "She stayed."),
    ("The cat, black and small, sleeps.", "An animal rests."),
]
RTE_LABELS = ["entailment", "not_entailment"]


@pytest.fixture(scope="module")
def rte_run(trained_runs) -> Path:
    return trained_runs("model=tiny-bert", "method=lora", "task=rte")


@pytest.fixture(scope="module")
def t5_mixture_run(trained_runs) -> Path:
    return trained_runs("model=tiny-t5", "method=adapter", "method.reduction_factor=8",
                        "task=glue", "task.tasks=[rte,stsb]")  # fmt: skip


def write_pairs(path: Path, fmt: str) -> Path:
    rows = [("sentence1", "sentence2"), *PAIRS]
    if fmt == "jsonl":
        lines = [json.dumps({"sentence1": a, "sentence2": b}) for a, b in PAIRS]
        path.write_text("\n".join(lines) + "\n")
    elif fmt == "tsv":  # unquoted, as GLUE's files: a quote is text
        path.write_text("".join(f"{a}\t{b}\n" for a, b in rows))
    else:
        with path.open("w", newline="") as handle:
            csv.writer(handle).writerows(rows)
    return path


def predict(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    if stdin is None:
        return run_command(PREDICT, *args, cwd=cwd)
    env = {"HYPERPEFT_CACHE_DIR": str(cwd / "cache"), **os.environ}
    return subprocess.run(
        [str(PREDICT), *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True
    )


def predict_inprocess(capsys, *args: str) -> subprocess.CompletedProcess:
    """`main(args)`, its exit status and output as the process would have them."""
    try:
        code = main(list(args))
    except SystemExit as exit_:  # argparse's usage errors
        code = exit_.code
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, captured.out, captured.err)


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def assert_same(got: list[dict], expected: list[dict]) -> None:
    assert [line["label"] for line in got] == [line["label"] for line in expected]
    for mine, theirs in zip(got, expected, strict=True):
        assert mine.get("probabilities") == pytest.approx(theirs.get("probabilities"))


def one_error_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert done.stdout == ""
    return lines[0]


def test_a_csv_file_gets_one_prediction_per_row_as_the_library_gives_it(rte_run, tmp_path):
    source = write_pairs(tmp_path / "pairs.csv", "csv")
    done = predict(str(rte_run), str(source), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress bar when stderr is no terminal
    lines = jsonl(done.stdout)
    assert len(lines) == len(PAIRS)
    for line in lines:
        assert line["label"] in RTE_LABELS
        assert list(line["probabilities"]) == RTE_LABELS
        assert sum(line["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    predictor = Predictor(load_trained_run(rte_run))
    expected = [p.to_json() for p in predictor.predict(read_input(str(source), predictor.task))]
    assert_same(lines, expected)

    piped = predict(
        str(rte_run), "-", cwd=tmp_path, stdin=write_pairs(tmp_path / "p.tsv", "tsv").read_text()
    )
    assert piped.returncode == 0, piped.stderr
    assert_same(jsonl(piped.stdout), expected)


def test_tsv_jsonl_and_batches_read_the_same_rows(rte_run, tmp_path, capsys):
    expected = predict_inprocess(capsys, str(rte_run), str(write_pairs(tmp_path / "p.csv", "csv")))
    for fmt in ("tsv", "jsonl"):
        source = write_pairs(tmp_path / f"p.{fmt}", fmt)
        done = predict_inprocess(
            capsys, str(rte_run / "checkpoint"), str(source), "--batch-size", "2"
        )
        assert done.returncode == 0, done.stderr
        assert_same(jsonl(done.stdout), jsonl(expected.stdout))


def test_output_files_by_extension(rte_run, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = write_pairs(tmp_path / "pairs.jsonl", "jsonl")
    done = predict_inprocess(capsys, str(rte_run), str(source), "--output", "out.csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and "3 predictions written to out.csv" in done.stderr
    with (tmp_path / "out.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["label", *(f"probability_{name}" for name in RTE_LABELS)]
    assert len(rows) == 3 and all(row["label"] in RTE_LABELS for row in rows)
    assert all(
        sum(float(row[f"probability_{n}"]) for n in RTE_LABELS) == pytest.approx(1.0, abs=1e-5)
        for row in rows
    )


def test_a_multi_task_run_predicts_the_task_asked_for(t5_mixture_run, tmp_path):
    source = write_pairs(tmp_path / "pairs.tsv", "tsv")
    done = predict(
        str(t5_mixture_run), str(source), "--task", "stsb", "-o", "s.jsonl", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    lines = jsonl((tmp_path / "s.jsonl").read_text())
    assert len(lines) == 3
    # regression: a number (or null where the tiny model wrote none), never probabilities
    assert all(set(line) == {"label"} for line in lines)
    assert all(line["label"] is None or isinstance(line["label"], float) for line in lines)
    rte = jsonl(predict(str(t5_mixture_run), str(source), "--task", "rte", cwd=tmp_path).stdout)
    assert all(list(line["probabilities"]) == RTE_LABELS for line in rte)  # label words' shares
    assert all(line["label"] in (*RTE_LABELS, None) for line in rte)  # decoded greedily

    error = one_error_line(predict(str(t5_mixture_run), str(source), cwd=tmp_path))
    assert "--task" in error and "rte, stsb" in error
    error = one_error_line(predict(str(t5_mixture_run), str(source), "--task", "cb", cwd=tmp_path))
    assert "--task='cb'" in error and "rte, stsb" in error


def test_a_custom_task_reads_the_fields_its_config_names(trained_runs, tmp_path_factory, capsys):
    data = tmp_path_factory.mktemp("reviews")
    reviews = ["great film", "dull and long", "I loved it", "a waste of time"] * 8
    with (data / "train.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows(
            [
                ("review", "stars"),
                *((r, "good" if i % 2 == 0 else "bad") for i, r in enumerate(reviews)),
            ]
        )
    run = trained_runs(
        "model=tiny-bert", "method=bitfit", "task=custom", "task.tasks=[reviews]",
        f"+task.custom.reviews.train={data / 'train.csv'}",
        f"+task.custom.reviews.validation={data / 'train.csv'}",
        "+task.custom.reviews.text_fields=[review]", "+task.custom.reviews.label_field=stars",
        "+task.custom.reviews.label_names=[bad,good]",
    )  # fmt: skip
    (data / "new.jsonl").write_text('{"review": "what a film"}\n{"review": "boring"}\n')
    done = predict_inprocess(capsys, str(run), str(data / "new.jsonl"))
    assert done.returncode == 0, done.stderr
    assert [list(line["probabilities"]) for line in jsonl(done.stdout)] == [["bad", "good"]] * 2


def test_bad_input_is_one_line_and_exit_2(rte_run, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.csv").write_text("sentence1,sentence2\na,b\nc,\n")  # an empty text is text
    (tmp_path / "short.jsonl").write_text(
        '{"sentence1": "a", "sentence2": "b"}\n\n{"sentence1": "c"}\n'
    )
    error = one_error_line(predict(str(rte_run), "short.jsonl", cwd=tmp_path))  # the process
    assert "short.jsonl, line 3: missing field 'sentence2'" in error
    assert predict_inprocess(capsys, str(rte_run), "ok.csv").returncode == 0
    cases = {
        ("pairs.txt",): ["input='pairs.txt'", ".csv, .tsv, .jsonl"],
        ("ok.csv", "-o", "out.parquet"): ["--output='out.parquet'", ".jsonl or .csv"],
        ("ok.csv", "--batch-size", "0"): ["--batch-size=0"],
    }
    for args, words in cases.items():
        error = one_error_line(predict_inprocess(capsys, str(rte_run), *args))
        assert all(word in error for word in words), error
    error = one_error_line(predict_inprocess(capsys, str(tmp_path / "nowhere"), "ok.csv"))
    assert "checkpoint=" in error and "no such file" in error
    error = one_error_line(predict_inprocess(capsys, str(rte_run)))
    assert "required: input" in error


def test_a_terminal_gets_a_progress_bar(rte_run, tmp_path):
    """stderr on a pseudo-terminal: the bar is drawn there, the predictions still go to stdout."""
    source = write_pairs(tmp_path / "pairs.csv", "csv")
    leader, follower = pty.openpty()
    env = {"HYPERPEFT_CACHE_DIR": str(tmp_path / "cache"), **os.environ, "COLUMNS": "100"}
    done = subprocess.run(
        [str(PREDICT), str(rte_run), str(source)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL,
        text=True, timeout=600,
    )  # fmt: skip
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    assert done.returncode == 0
    assert len(jsonl(done.stdout)) == 3
    assert b"predicting" in drawn
