"""The `hyperpeft` command line of each of our cells, as a user would type it.

The cell's folder is fixed with `hydra.run.dir`, so its results.json stays there and a later
invocation finds it; a cell interrupted midway continues with `trainer.resume=<its folder>`,
which takes the whole run from the folder's config.yaml. The user's overrides (`--override`,
`--bf16`) come last, so they win over the grid's own.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.quality.budget import Budget
from benchmarks.quality.grid import FEWSHOT, MIXTURE, Cell

HYPERPEFT = Path(sys.executable).with_name("hyperpeft")
BF16_HARDWARE = "cpu-bf16"


def budget_overrides(cell: Cell, budget: Budget) -> list[str]:
    steps = budget.steps_for(len(cell.tasks))
    return [
        f"trainer.batch_size={budget.batch_size}",
        f"model.max_length={budget.max_length}",
        f"trainer.max_steps={steps}",
        f"trainer.eval_every={budget.eval_every(steps)}",
    ]


def run_overrides(
    cell: Cell, budget: Budget, cells_dir: Path, user: Sequence[str] = ()
) -> list[str]:
    """Everything but the run folder: the composed config of the cell's run (also what the peers'
    data export composes, with the peer's matched method)."""
    overrides = ["model=minilm", f"method={cell.method}", f"task={cell.task}"]
    if cell.kind == MIXTURE:
        overrides.append(f"task.tasks=[{','.join(cell.tasks)}]")
    overrides += [f"seed={cell.seed}", *budget_overrides(cell, budget)]
    if cell.kind == FEWSHOT:
        overrides.append(f"data.max_train_examples={cell.k}")
    if cell.init_from:
        overrides.append(f"init_from={cell_dir(cells_dir, cell.init_from)}")
    return [*overrides, *user]


def cell_dir(cells_dir: Path, cell_id: str) -> Path:
    return (cells_dir / cell_id).resolve()


def fresh_command(
    cell: Cell, budget: Budget, cells_dir: Path, user: Sequence[str] = ()
) -> list[str]:
    folder = cell_dir(cells_dir, cell.id)
    return [
        str(HYPERPEFT),
        *run_overrides(cell, budget, cells_dir, user),
        f"hydra.run.dir={folder}",
    ]


def resume_command(folder: Path) -> list[str]:
    return [str(HYPERPEFT), f"trainer.resume={Path(folder).resolve()}"]


def bf16_overrides(config_dir: Path) -> list[str]:
    """`hardware=cpu-bf16` where conf/hardware has it; ValueError (one line) where it has not."""
    hardware = Path(config_dir) / "hardware"
    if (hardware / f"{BF16_HARDWARE}.yaml").is_file():
        return [f"hardware={BF16_HARDWARE}"]
    options = ", ".join(sorted(p.stem for p in hardware.glob("*.yaml")))
    raise ValueError(
        f"--bf16: conf/hardware has no {BF16_HARDWARE} option (it has {options}); "
        "use --override hardware.precision=bf16-mixed instead"
    )
