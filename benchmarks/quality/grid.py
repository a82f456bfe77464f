"""The cells of the quality grid: what each one trains, on which task, seed and data, and
which cell it needs first.

Kinds of cell:
- `single`: one of our methods on one task;
- `mixture`: one of our methods on the GLUE tasks present, mixed by the temperature sampler;
- `fewshot`: k training examples of a SuperGLUE task; the transferred cell starts from the
  mixture cell's run (`init_from`), the others from scratch at the same k and budget;
- `peer`: a peer library's method on one task, on the very batches our run draws.

A cell's id names it and its run folder: `<task>.<method>.s<seed>` (single, mixture: the
mixture's name as the task), `<task>.k<k>.<method>.s<seed>` (few-shot; a transferred method
reads `hyperformer++-from-glue`), and the peers' `<task>.<library>-<config>.s<seed>`
(`rte.adapters-seq_bn.s0`, `mrpc.peft-lora.s1`).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SINGLE, MIXTURE, FEWSHOT, PEER = "single", "mixture", "fewshot", "peer"
KINDS = (SINGLE, MIXTURE, FEWSHOT, PEER)

METHODS = (
    "adapter",
    "hyperformer",
    "hyperformer++",
    "compacter",
    "compacter++",
    "phm-adapter",
    "lora",
    "bitfit",
    "full",
)
# The real tasks present in the shared data (GLUE first, then SuperGLUE).
TASKS = ("rte", "mrpc", "stsb", "cola", "sst2", "cb", "copa", "wic")
# Three seeds: the small, noisy ones, and SST-2 (the bf16-against-fp32 check of hardware=cpu-bf16).
SEEDED_TASKS = ("mrpc", "rte", "stsb", "sst2")
SEEDS = (0, 1, 2)
# The GLUE tasks present offline (MNLI, QQP, QNLI are not), in the benchmark's order.
MIXTURE_NAME = "glue"
MIXTURE_TASKS = ("cola", "sst2", "mrpc", "stsb", "rte")
MIXTURE_METHODS = ("hyperformer++", "adapter")
# Few-shot transfer (the Hyperformer paper's): to CB and SuperGLUE's RTE, k training examples.
FEWSHOT_TASKS = ("cb", "superglue-rte")
FEWSHOT_K = (16, 32, 100)
TRANSFERRED = "hyperformer++"
FROM_SCRATCH = ("full", "adapter")
PEER_TASKS = ("mrpc", "rte")


@dataclass(frozen=True)
class Peer:
    """A peer library's method and the method of ours it is matched to (sizes, learning rate)."""

    name: str  # as results.json names the method: "<library>:<config>"
    kind: str  # benchmarks.speed.peers.build_model's kind: adapters, peft-lora
    library_config: str
    ours: str

    @property
    def slug(self) -> str:
        return self.name.replace(":", "-")


PEERS = (
    Peer("adapters:seq_bn", "adapters", "seq_bn", "adapter"),
    Peer("adapters:compacter", "adapters", "compacter", "compacter"),
    Peer("peft:lora", "peft-lora", "", "lora"),
)
PEER_BY_NAME = {peer.name: peer for peer in PEERS}


@dataclass(frozen=True)
class Cell:
    id: str
    kind: str
    method: str  # ours: the method option; a peer: Peer.name
    task: str  # the task option (a mixture: its name)
    tasks: tuple[str, ...]  # the tasks trained
    seed: int = 0
    k: int | None = None  # few-shot: training examples per task
    init_from: str | None = None  # the id of the cell whose run this one starts from

    @property
    def peer(self) -> Peer | None:
        return PEER_BY_NAME.get(self.method)

    @property
    def depends_on(self) -> tuple[str, ...]:
        return (self.init_from,) if self.init_from else ()


def seeds_of(task: str) -> tuple[int, ...]:
    return SEEDS if task in SEEDED_TASKS else (0,)


def single_cells() -> list[Cell]:
    return [
        Cell(f"{task}.{method}.s{seed}", SINGLE, method, task, (task,), seed)
        for task in TASKS
        for method in METHODS
        for seed in seeds_of(task)
    ]


def mixture_cell(method: str) -> Cell:
    return Cell(f"{MIXTURE_NAME}.{method}.s0", MIXTURE, method, MIXTURE_NAME, MIXTURE_TASKS)


def mixture_cells() -> list[Cell]:
    return [mixture_cell(method) for method in MIXTURE_METHODS]


def fewshot_cells() -> list[Cell]:
    source = mixture_cell(TRANSFERRED).id
    cells = []
    for task in FEWSHOT_TASKS:
        for k in FEWSHOT_K:
            name = f"{TRANSFERRED}-from-{MIXTURE_NAME}"
            cells.append(
                Cell(f"{task}.k{k}.{name}.s0", FEWSHOT, TRANSFERRED, task, (task,), 0, k, source)
            )
            cells += [
                Cell(f"{task}.k{k}.{method}.s0", FEWSHOT, method, task, (task,), 0, k)
                for method in FROM_SCRATCH
            ]
    return cells


def peer_cells() -> list[Cell]:
    return [
        Cell(f"{task}.{peer.slug}.s{seed}", PEER, peer.name, task, (task,), seed)
        for task in PEER_TASKS
        for peer in PEERS
        for seed in seeds_of(task)
    ]


def build_grid() -> list[Cell]:
    """Every cell, in the order they run: a mixture cell before the few-shot cells that start
    from it."""
    return [*single_cells(), *mixture_cells(), *fewshot_cells(), *peer_cells()]


def _matches(cell_id: str, patterns: Sequence[str]) -> bool:
    """A pattern with a glob character is a glob over the whole id, else a substring."""
    return any(
        fnmatch.fnmatchcase(cell_id, p) if any(c in p for c in "*?[") else p in cell_id
        for p in patterns
    )


def select(
    cells: Sequence[Cell],
    only: Sequence[str] = (),
    tasks: Iterable[str] | None = None,
    methods: Iterable[str] | None = None,
    seeds: Iterable[int] | None = None,
    kinds: Iterable[str] | None = None,
) -> list[Cell]:
    """The cells every given filter keeps, plus the cells they start from (run first).

    `tasks` keeps a cell whose task option is listed (a mixture by its name, `glue`);
    `methods` one whose method is listed (a peer by its name, `peft:lora`)."""
    tasks, methods = _set(tasks), _set(methods)
    seeds, kinds = _set(seeds), _set(kinds)
    chosen = [
        cell
        for cell in cells
        if (not only or _matches(cell.id, only))
        and (tasks is None or cell.task in tasks)
        and (methods is None or cell.method in methods)
        and (seeds is None or cell.seed in seeds)
        and (kinds is None or cell.kind in kinds)
    ]
    needed = {dep for cell in chosen for dep in cell.depends_on}
    return [cell for cell in cells if cell in chosen or cell.id in needed]


def _set(values: Iterable | None) -> set | None:
    return None if values is None else set(values)


def check_filters(tasks: Iterable[str] | None, methods: Iterable[str] | None) -> None:
    """ValueError naming an unknown task or method, and what is allowed."""
    known_tasks = {*TASKS, *FEWSHOT_TASKS, MIXTURE_NAME}
    known_methods = {*METHODS, *PEER_BY_NAME}
    for flag, given, known in (
        ("--tasks", tasks, known_tasks),
        ("--methods", methods, known_methods),
    ):
        unknown = sorted(set(given or ()) - known)
        if unknown:
            raise ValueError(f"{flag} {' '.join(unknown)}: one of {', '.join(sorted(known))}")
