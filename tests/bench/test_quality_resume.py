"""The quality grid's runs: done cells skipped, interrupted ones resumed, leftovers rerun, the
transfers waiting for their mixture, and one folder per budget. The runner is a stand-in that
records each command and writes what a run would."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchmarks.quality import grid
from benchmarks.quality.budget import Budget
from benchmarks.quality.run import GridRun
from benchmarks.quality.settings_file import claim_settings, grid_settings
from benchmarks.quality.state import DONE, PENDING, RESUMABLE, cell_state

CELLS = {cell.id: cell for cell in grid.build_grid()}


class FakeRunner:
    """Records commands; a run writes results.json into its folder (unless told to fail)."""

    def __init__(self, fail: bool = False) -> None:
        self.commands: list[list[str]] = []
        self.fail = fail

    def __call__(self, command, log_path: Path, threads: int) -> int:
        self.commands.append(list(command))
        if self.fail:
            return 1
        args = dict(arg.split("=", 1) for arg in command[1:])
        folder = Path(args.get("hydra.run.dir") or args["trainer.resume"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "results.json").write_text(json.dumps({"score": 0.75}))
        return 0


def done(folder: Path, score: float = 0.5) -> None:
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps({"method": "adapter", "score": score}))


def grid_run(tmp_path: Path, runner: FakeRunner) -> GridRun:
    return GridRun(tmp_path, Budget(steps=20), runner=runner)


def test_a_cell_whose_folder_has_results_is_not_run_again(tmp_path):
    runner = FakeRunner()
    run = grid_run(tmp_path, runner)
    done(tmp_path / "cells" / "rte.adapter.s0", score=0.625)
    line = run.run_cell(CELLS["rte.adapter.s0"])
    assert runner.commands == []
    assert line.split() == ["rte.adapter.s0", "score", "0.6250", "done", "earlier"]


def test_a_pending_cell_runs_once_and_reports_its_score_and_time(tmp_path):
    runner = FakeRunner()
    run = grid_run(tmp_path, runner)
    line = run.run_cell(CELLS["mrpc.bitfit.s1"])
    assert len(runner.commands) == 1 and "method=bitfit" in runner.commands[0]
    assert cell_state(tmp_path / "cells" / "mrpc.bitfit.s1") == DONE
    assert "score 0.7500" in line and line.rstrip().endswith("s  ran")
    run.run_cell(CELLS["mrpc.bitfit.s1"])
    assert len(runner.commands) == 1


def test_an_interrupted_cell_is_resumed_from_its_folder(tmp_path):
    folder = tmp_path / "cells" / "stsb.lora.s2"
    (folder / "checkpoint").mkdir(parents=True)
    (folder / "checkpoint" / "last.ckpt").write_bytes(b"state")
    assert cell_state(folder) == RESUMABLE
    runner = FakeRunner()
    line = grid_run(tmp_path, runner).run_cell(CELLS["stsb.lora.s2"])
    assert runner.commands[0][1:] == [f"trainer.resume={folder.resolve()}"]
    assert (folder / "checkpoint" / "last.ckpt").exists()  # nothing of the run removed
    assert line.rstrip().endswith("resumed")


def test_a_start_that_saved_nothing_runs_again_from_scratch(tmp_path):
    folder = tmp_path / "cells" / "cola.full.s0"
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text("stale: true\n")
    assert cell_state(folder) == PENDING
    runner = FakeRunner()
    grid_run(tmp_path, runner).run_cell(CELLS["cola.full.s0"])
    assert f"hydra.run.dir={folder.resolve()}" in runner.commands[0]
    assert not (folder / "config.yaml").exists()


def test_a_transfer_waits_for_its_mixture_cell_and_runs_once_that_is_done(tmp_path):
    runner = FakeRunner()
    run = grid_run(tmp_path, runner)
    transfer = CELLS["cb.k16.hyperformer++-from-glue.s0"]
    line = run.run_cell(transfer)
    assert runner.commands == [] and "waiting for glue.hyperformer++.s0" in line
    assert run.failures == [transfer.id]
    run.run_cell(CELLS["glue.hyperformer++.s0"])
    run.run_cell(transfer)
    mixture_folder = (tmp_path / "cells" / "glue.hyperformer++.s0").resolve()
    assert f"init_from={mixture_folder}" in runner.commands[-1]
    assert run.failures == []


def test_a_failed_cell_is_reported_with_its_log_and_the_grid_goes_on(tmp_path):
    runner = FakeRunner(fail=True)
    run = grid_run(tmp_path, runner)
    line = run.run_cell(CELLS["wic.compacter.s0"])
    assert "failed (exit 1; log" in line and "wic.compacter.s0.log" in line
    assert run.failures == ["wic.compacter.s0"]


def test_peer_cells_are_skipped_without_the_peers_environment(tmp_path):
    runner = FakeRunner()
    line = grid_run(tmp_path, runner).run_cell(CELLS["rte.peft-lora.s0"])
    assert runner.commands == [] and "skipped (no peers' environment)" in line


def test_a_grid_folder_refuses_another_budget(tmp_path):
    claim_settings(tmp_path, grid_settings(Budget(steps=20), []))
    claim_settings(tmp_path, grid_settings(Budget(steps=20), []))  # the same: fine
    with pytest.raises(ValueError, match="--out .* holds a grid with other settings"):
        claim_settings(tmp_path, grid_settings(Budget(), []))
    with pytest.raises(ValueError, match="other settings"):
        claim_settings(tmp_path, grid_settings(Budget(steps=20), ["hardware=cpu-bf16"]))


# -- kept results: the committed copy of each done cell ---------------------------------------


class PathWritingRunner(FakeRunner):
    """A run whose results.json names machine folders, as a real run's config does."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__()
        self.data_dir = data_dir

    def __call__(self, command, log_path: Path, threads: int) -> int:
        args = dict(arg.split("=", 1) for arg in command[1:])
        folder = Path(args["hydra.run.dir"])
        folder.mkdir(parents=True, exist_ok=True)
        config = {
            "data": {"dir": str(self.data_dir), "cache_dir": "/somewhere/cache", "limit": 8},
            "init_from": args.get("init_from"),
            "task": {"tasks": ["cb"], "separator": " / "},
        }
        results = {"method": "hyperformer++", "score": 0.625, "config": config}
        (folder / "results.json").write_text(json.dumps(results))
        self.commands.append(list(command))
        return 0


def kept_run(tmp_path: Path, runner: FakeRunner) -> GridRun:
    return GridRun(tmp_path / "grid", Budget(steps=20), runner=runner, kept=tmp_path / "kept")


def test_a_cell_that_ran_is_kept_without_the_machines_folders(tmp_path):
    runner = PathWritingRunner(data_dir=tmp_path / "shared" / "data")
    run = kept_run(tmp_path, runner)
    run.run_cell(CELLS["glue.hyperformer++.s0"])
    run.run_cell(CELLS["cb.k16.hyperformer++-from-glue.s0"])
    kept = json.loads(
        (tmp_path / "kept" / "cb.k16.hyperformer++-from-glue.s0" / "results.json").read_text()
    )
    assert kept["score"] == 0.625 and kept["method"] == "hyperformer++"
    config = kept["config"]
    assert config["data"] == {"dir": "<data>", "cache_dir": "<local>/cache", "limit": 8}
    assert config["init_from"] == "<grid>/cells/glue.hyperformer++.s0"
    assert config["task"] == {"tasks": ["cb"], "separator": " / "}
    assert str(tmp_path) not in json.dumps(kept)


def test_a_kept_cell_is_done_in_a_new_clone_and_reported_with_its_score(tmp_path):
    first = kept_run(tmp_path, PathWritingRunner(data_dir=tmp_path / "data"))
    first.run_cell(CELLS["rte.compacter.s0"])
    shutil.rmtree(tmp_path / "grid")  # outputs/ is not part of a clone
    runner = FakeRunner()
    line = kept_run(tmp_path, runner).run_cell(CELLS["rte.compacter.s0"])
    assert runner.commands == []
    assert "score 0.6250" in line and line.rstrip().endswith("done earlier (kept)")


def test_a_cell_done_before_results_were_kept_is_kept_when_the_grid_passes_it(tmp_path):
    done(tmp_path / "grid" / "cells" / "mrpc.lora.s1", score=0.8)
    kept_run(tmp_path, FakeRunner()).run_cell(CELLS["mrpc.lora.s1"])
    kept = json.loads((tmp_path / "kept" / "mrpc.lora.s1" / "results.json").read_text())
    assert kept["score"] == 0.8


def test_a_transfer_whose_mixture_is_kept_but_not_on_disk_runs_the_mixture_again(tmp_path):
    kept_run(tmp_path, PathWritingRunner(tmp_path / "data")).run_cell(CELLS["glue.adapter.s0"])
    done_mixture = kept_run(tmp_path, PathWritingRunner(tmp_path / "data"))
    done_mixture.run_cell(CELLS["glue.hyperformer++.s0"])
    shutil.rmtree(tmp_path / "grid")
    runner = PathWritingRunner(tmp_path / "data")
    run = kept_run(tmp_path, runner)
    selected = grid.select(grid.build_grid(), ["cb.k16.hyperformer++"], None, None, None)
    selected += [CELLS["glue.adapter.s0"]]
    run.need_run_folders(selected)
    lines = [run.run_cell(cell) for cell in selected]
    ran = [next(a for a in command if a.startswith("method=")) for command in runner.commands]
    assert ran == ["method=hyperformer++", "method=hyperformer++"]  # the mixture, the transfer
    assert (
        lines[-1].rstrip().endswith("done earlier (kept)")
    )  # the adapter mixture: no one needs it
    assert run.failures == []


def test_a_kept_folder_of_another_budget_is_refused_naming_the_keep_option(tmp_path):
    claim_settings(tmp_path, grid_settings(Budget(), []), "--keep")
    with pytest.raises(ValueError, match="--keep .* holds a grid with other settings"):
        claim_settings(tmp_path, grid_settings(Budget(steps=20), []), "--keep")
