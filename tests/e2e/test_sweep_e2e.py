"""`hyperpeft -m +sweep=compacter_rank` through the real command: the study in its SQLite file,
resuming a finished study, extending it, and `hyperpeft-report` over what the sweep wrote.

One module-scoped sweep feeds every test (about 45 s on a loaded 2-core machine): three commands in
one folder, with the study read back through Optuna's own API after each.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import optuna
import pytest
from optuna.trial import FrozenTrial, TrialState

from tests.helpers.commands import HYPERPEFT, REPORT, run_command

pytestmark = pytest.mark.e2e

STUDY = "compacter_rank"
# tiny-bert's hidden size is 64: a reduction factor of 8 gives a bottleneck of 8, which every
# phm_dim of the sweep file (2, 4, 8) divides, so no trial fails on the sweep's search space
SWEEP = (
    "-m",
    f"+sweep={STUDY}",
    "model=tiny-bert",
    "task=rte",
    "method.reduction_factor=8",
    "trainer.max_steps=4",
    "trainer.eval_every=2",
    "trainer.batch_size=8",
    "trainer.eval_batch_size=32",
    "data.max_train_examples=64",
    "data.max_eval_examples=32",
)


@dataclass
class Sweep:
    root: Path
    storage: Path
    first: list[FrozenTrial]  # after `n_trials=2`
    again: list[FrozenTrial]  # the same command once more
    extended: list[FrozenTrial]  # with `n_trials=3`
    sweep_dirs: list[Path]  # one multirun folder per command, oldest first


def _call(root: Path, command: Path, *args: str) -> subprocess.CompletedProcess:
    done = run_command(command, *args, cwd=root)
    assert done.returncode == 0, f"{command.name} {' '.join(args)}\n{done.stderr[-3000:]}"
    return done


def _trials(storage: Path) -> list[FrozenTrial]:
    study = optuna.load_study(study_name=STUDY, storage=f"sqlite:///{storage}")
    return sorted(study.get_trials(), key=lambda trial: trial.number)


def _results(trial: FrozenTrial) -> dict:
    return json.loads((Path(trial.user_attrs["output_dir"]) / "results.json").read_text())


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Sweep:
    root = tmp_path_factory.mktemp("sweep")
    storage = root / "outputs" / "optuna" / f"{STUDY}.db"  # the sweep file's relative sqlite URL
    snapshots = []
    for n_trials in (2, 2, 3):
        _call(root, HYPERPEFT, *SWEEP, f"hydra.sweeper.n_trials={n_trials}")
        snapshots.append(_trials(storage))
    sweep_dirs = sorted((root / "outputs" / "multirun").iterdir())
    return Sweep(root, storage, *snapshots, sweep_dirs)


def test_study_holds_complete_trials_scored_by_their_runs(sweep):
    assert [t.state for t in sweep.first] == [TrialState.COMPLETE] * 2
    assert [t.number for t in sweep.first] == [0, 1]
    for trial in sweep.first:
        results = _results(trial)
        assert trial.value == pytest.approx(results["validation_score"], abs=1e-12)
        # the sampled values reached the job's config; the fixed one stayed fixed
        method = results["config"]["method"]
        assert method["phm_dim"] == trial.params["method.phm_dim"]
        assert method["phm_rank"] == trial.params["method.phm_rank"]
        assert method["reduction_factor"] == 8 and "method.reduction_factor" not in trial.params
        assert results["steps"] == 4
        assert Path(trial.user_attrs["output_dir"]).parent == sweep.sweep_dirs[0]
    summary = (sweep.sweep_dirs[0] / "optimization_results.yaml").read_text()
    best = max(sweep.first, key=lambda trial: trial.value)
    assert f"best_trial: {best.number}" in summary


def test_rerunning_a_finished_study_adds_no_trial(sweep):
    assert [(t.number, t.state, t.value) for t in sweep.again] == [
        (t.number, t.state, t.value) for t in sweep.first
    ]
    assert len(sweep.sweep_dirs) == 3
    assert not list(sweep.sweep_dirs[1].rglob("results.json"))  # no job was launched


def test_raising_n_trials_adds_exactly_one_trial(sweep):
    assert len(sweep.extended) == 3
    assert [(t.number, t.value) for t in sweep.extended[:2]] == [
        (t.number, t.value) for t in sweep.first
    ]
    new = sweep.extended[2]
    assert new.number == 2 and new.state == TrialState.COMPLETE
    assert new.value == pytest.approx(_results(new)["validation_score"], abs=1e-12)
    assert Path(new.user_attrs["output_dir"]).parent == sweep.sweep_dirs[2]
    assert len(list(sweep.sweep_dirs[2].rglob("results.json"))) == 1


def _table(markdown: str, heading: str) -> list[dict[str, str]]:
    """The rows of the first markdown table after `heading`, keyed by the table's header."""
    lines = markdown.split(heading, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    header, _, *body = table  # the second line is the --- separator
    return [dict(zip(header, row, strict=True)) for row in body]


def test_report_numbers_match_the_runs(sweep):
    root = sweep.sweep_dirs[0]
    _call(sweep.root, REPORT, str(root), "--study", str(sweep.storage))
    markdown = (root / "report.md").read_text()
    plot = root / "score_vs_params.png"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 1000

    rows = _table(markdown, "## Runs")
    # the sweep folder's two runs, and trial 2's run (another folder) found through the study
    expected = {Path(t.user_attrs["output_dir"]).resolve(): _results(t) for t in sweep.extended}
    assert len(rows) == len(expected) == 3
    for row in rows:
        run = Path(row["Run"])
        results = expected[(run if run.is_absolute() else root / run).resolve()]
        assert (row["Method"], row["Model"], row["Task(s)"]) == ("compacter", "tiny-bert", "rte")
        assert float(row["Test score"]) == pytest.approx(results["score"], abs=5e-5)
        assert float(row["Validation score"]) == pytest.approx(
            results["validation_score"], abs=5e-5
        )
        assert int(row["Trainable"].replace(",", "")) == results["params"]["trainable"]
        assert float(row["Trainable %"]) == pytest.approx(
            results["params"]["trainable_pct"], abs=5e-5
        )

    assert f"## Study `{STUDY}`\n\n3 trials: 3 complete." in markdown
    trials = _table(markdown, f"## Study `{STUDY}`")
    assert [row["Trial"] for row in trials] == ["0", "1", "2"]
    for row, trial in zip(trials, sweep.extended, strict=True):
        assert row["State"] == "complete"
        assert float(row["score"]) == pytest.approx(trial.value, abs=5e-5)
