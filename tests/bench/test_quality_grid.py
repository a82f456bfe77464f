"""The quality grid's cells and the command line each of ours gets."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from benchmarks.quality import grid
from benchmarks.quality.budget import Budget, eval_interval
from benchmarks.quality.commands import bf16_overrides, fresh_command, resume_command
from hyperpeft.methods import METHOD_NAMES


def cells_by_id() -> dict[str, grid.Cell]:
    return {cell.id: cell for cell in grid.build_grid()}


def test_the_grid_has_every_kind_of_cell_in_the_counts_the_issue_asks_for():
    cells = grid.build_grid()
    kinds = Counter(cell.kind for cell in cells)
    # 9 methods x (4 seeded tasks x 3 seeds + 4 tasks x 1 seed)
    assert kinds[grid.SINGLE] == 9 * (4 * 3 + 4)
    assert kinds[grid.MIXTURE] == 2
    assert kinds[grid.FEWSHOT] == 2 * 3 * 3  # (cb, superglue-rte) x k x (transfer, full, adapter)
    assert kinds[grid.PEER] == 3 * (3 + 3)  # three peers on mrpc and rte, three seeds each
    assert len({cell.id for cell in cells}) == len(cells)


def test_every_registered_method_of_ours_has_its_single_task_cells():
    singles = [cell for cell in grid.build_grid() if cell.kind == grid.SINGLE]
    assert {cell.method for cell in singles} == set(METHOD_NAMES)
    assert {cell.task for cell in singles} == set(grid.TASKS)


def test_seeds_are_zero_to_two_on_mrpc_rte_stsb_and_sst2_and_zero_elsewhere():
    seeds: dict[str, set[int]] = {}
    for cell in grid.build_grid():
        seeds.setdefault(cell.task, set()).add(cell.seed)
    for task in ("mrpc", "rte", "stsb", "sst2"):
        assert seeds[task] == {0, 1, 2}
    for task in ("cola", "cb", "copa", "wic", "superglue-rte", "glue"):
        assert seeds[task] == {0}


def test_the_mixture_holds_the_glue_tasks_present_and_runs_before_the_transfers():
    cells = grid.build_grid()
    mixtures = [cell for cell in cells if cell.kind == grid.MIXTURE]
    assert {cell.method for cell in mixtures} == {"hyperformer++", "adapter"}
    assert all(cell.tasks == ("cola", "sst2", "mrpc", "stsb", "rte") for cell in mixtures)
    order = [cell.id for cell in cells]
    transfers = [cell for cell in cells if cell.depends_on]
    assert len(transfers) == 6  # hyperformer++ to cb and superglue-rte at k = 16, 32, 100
    for cell in transfers:
        assert cell.kind == grid.FEWSHOT and cell.method == "hyperformer++"
        assert cell.depends_on == ("glue.hyperformer++.s0",)
        assert order.index("glue.hyperformer++.s0") < order.index(cell.id)


def test_few_shot_cells_compare_the_transfer_with_full_and_adapter_at_the_same_k():
    fewshot = [cell for cell in grid.build_grid() if cell.kind == grid.FEWSHOT]
    for task in ("cb", "superglue-rte"):
        for k in (16, 32, 100):
            here = {cell.id for cell in fewshot if cell.task == task and cell.k == k}
            assert here == {
                f"{task}.k{k}.hyperformer++-from-glue.s0",
                f"{task}.k{k}.full.s0",
                f"{task}.k{k}.adapter.s0",
            }


def test_a_selected_transfer_brings_its_mixture_cell_along():
    chosen = grid.select(grid.build_grid(), only=["cb.k16.hyperformer++*"])
    assert [cell.id for cell in chosen] == [
        "glue.hyperformer++.s0",
        "cb.k16.hyperformer++-from-glue.s0",
    ]


def test_filters_combine_and_a_plain_pattern_is_a_substring():
    cells = grid.build_grid()
    chosen = grid.select(cells, only=["rte.lora"], seeds=[1])
    assert [cell.id for cell in chosen] == ["rte.lora.s1"]
    chosen = grid.select(cells, tasks=["mrpc"], methods=["peft:lora"])
    assert [cell.id for cell in chosen] == [f"mrpc.peft-lora.s{seed}" for seed in (0, 1, 2)]
    chosen = grid.select(cells, kinds=[grid.MIXTURE])
    assert [cell.id for cell in chosen] == ["glue.hyperformer++.s0", "glue.adapter.s0"]


def test_an_unknown_task_or_method_is_named_with_what_is_allowed():
    with pytest.raises(ValueError, match=r"--tasks boolq: one of .*cb"):
        grid.check_filters(["boolq"], None)
    with pytest.raises(ValueError, match=r"--methods prefix: one of .*peft:lora"):
        grid.check_filters(None, ["prefix"])


def test_evaluations_fall_at_steps_that_divide_the_budget():
    assert eval_interval(300, 6) == 50
    assert eval_interval(1500, 6) == 250
    assert eval_interval(20, 6) == 4
    assert 7 % eval_interval(7, 6) == 0


def test_a_single_cell_gets_the_budget_and_its_own_run_folder(tmp_path):
    cell = cells_by_id()["rte.compacter++.s2"]
    command = fresh_command(cell, Budget(), tmp_path / "cells", ["hardware.precision=bf16-mixed"])
    assert Path(command[0]).name == "hyperpeft"
    assert command[1:] == [
        "model=minilm",
        "method=compacter++",
        "task=rte",
        "seed=2",
        "trainer.batch_size=16",
        "model.max_length=128",
        "trainer.max_steps=300",
        "trainer.eval_every=50",
        "hardware.precision=bf16-mixed",  # the user's overrides come last: they win
        f"hydra.run.dir={(tmp_path / 'cells' / 'rte.compacter++.s2').resolve()}",
    ]


def test_the_mixture_trains_its_budget_per_task_and_a_transfer_starts_from_it(tmp_path):
    cells = cells_by_id()
    mixture = fresh_command(cells["glue.hyperformer++.s0"], Budget(), tmp_path)
    assert "task=glue" in mixture and "task.tasks=[cola,sst2,mrpc,stsb,rte]" in mixture
    assert "trainer.max_steps=1500" in mixture and "trainer.eval_every=250" in mixture
    transfer = fresh_command(
        cells["superglue-rte.k32.hyperformer++-from-glue.s0"], Budget(), tmp_path
    )
    assert "task=superglue-rte" in transfer and "data.max_train_examples=32" in transfer
    assert f"init_from={(tmp_path / 'glue.hyperformer++.s0').resolve()}" in transfer
    assert "trainer.max_steps=300" in transfer
    scratch = fresh_command(cells["cb.k100.full.s0"], Budget(steps=20), tmp_path)
    assert "data.max_train_examples=100" in scratch and "trainer.max_steps=20" in scratch
    assert not any(arg.startswith("init_from=") for arg in scratch)


def test_a_resumed_cell_names_its_folder_only(tmp_path):
    command = resume_command(tmp_path / "cells" / "rte.adapter.s0")
    assert command[1:] == [f"trainer.resume={(tmp_path / 'cells' / 'rte.adapter.s0').resolve()}"]


def test_bf16_uses_the_hardware_option_where_it_exists_and_says_so_where_not(tmp_path):
    (tmp_path / "hardware").mkdir()
    (tmp_path / "hardware" / "cpu.yaml").write_text("name: cpu\n")
    with pytest.raises(
        ValueError, match=r"--bf16: conf/hardware has no cpu-bf16 option \(it has cpu\)"
    ):
        bf16_overrides(tmp_path)
    (tmp_path / "hardware" / "cpu-bf16.yaml").write_text("name: cpu-bf16\n")
    assert bf16_overrides(tmp_path) == ["hardware=cpu-bf16"]
