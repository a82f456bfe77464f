"""The quality grid's runs: done cells skipped, interrupted ones resumed, leftovers rerun, the
transfers waiting for their mixture, and one folder per budget. The runner is a stand-in that
records each command and writes what a run would."""

from __future__ import annotations

import json
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
