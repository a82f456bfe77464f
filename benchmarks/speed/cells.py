"""The table of what is timed: our methods, the two baselines, the peers, and who matches whom.

A cell is one thing timed in a fresh process per round. Ours are built through hyperpeft's own
config composition and build path; a peer cell names the library configuration that matches one
of our methods, and takes its sizes (bottleneck, phm_dim, rank, placement, activation) from that
method's composed config, so "matched" is read from one place rather than written twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OURS, PEER, MACHINE = "ours", "peer", "machine"


@dataclass(frozen=True)
class Cell:
    name: str
    side: str  # ours, peer, or machine (the GEMM rate)
    method: str  # our method: built (ours) or whose settings are matched (peer)
    kind: str = ""  # peers: frozen, full, adapters, peft-lora; ours: method or frozen
    library_config: str = ""  # peers: the library's config name
    overrides: tuple[str, ...] = field(default=())  # extra Hydra overrides of our method
    peer: str = ""  # ours: the name of the matched peer cell


GEMM = Cell("gemm rate", MACHINE, "", kind="gemm")

OUR_CELLS = (
    Cell("frozen", OURS, "lora", kind="frozen", peer="transformers frozen"),
    Cell("full", OURS, "full", kind="full", peer="transformers full"),
    Cell("adapter", OURS, "adapter", kind="adapter", peer="adapters double_seq_bn"),
    Cell("compacter", OURS, "compacter", kind="compacter", peer="adapters compacter"),
    Cell("compacter++", OURS, "compacter++", kind="compacter++", peer="adapters compacter++"),
    Cell("phm-adapter", OURS, "phm-adapter", kind="phm-adapter"),
    Cell("hyperformer", OURS, "hyperformer", kind="hyperformer"),
    Cell("hyperformer++", OURS, "hyperformer++", kind="hyperformer++"),
    Cell("lora", OURS, "lora", kind="lora", peer="peft lora"),
    Cell("bitfit", OURS, "bitfit", kind="bitfit"),
)

PEER_CELLS = (
    Cell("transformers frozen", PEER, "lora", kind="frozen"),
    Cell("transformers full", PEER, "full", kind="full"),
    Cell(
        "adapters double_seq_bn", PEER, "adapter", kind="adapters", library_config="double_seq_bn"
    ),
    Cell("adapters compacter", PEER, "compacter", kind="adapters", library_config="compacter"),
    Cell(
        "adapters compacter++", PEER, "compacter++", kind="adapters", library_config="compacter++"
    ),
    Cell("peft lora", PEER, "lora", kind="peft-lora"),
)

# Not in the default run: Pfeiffer's adapter (after the feed-forward only) and ours placed alike.
EXTRA_CELLS = (
    Cell(
        "adapter@ff",
        OURS,
        "adapter",
        kind="adapter",
        overrides=("method.positions=[feed_forward]",),
        peer="adapters seq_bn",
    ),
    Cell(
        "adapters seq_bn",
        PEER,
        "adapter",
        kind="adapters",
        library_config="seq_bn",
        overrides=("method.positions=[feed_forward]",),
    ),
)

ALL_CELLS = {cell.name: cell for cell in (GEMM, *OUR_CELLS, *PEER_CELLS, *EXTRA_CELLS)}
DEFAULT_CELLS = tuple(cell.name for cell in (*OUR_CELLS, *PEER_CELLS))


def select(names: list[str] | None) -> list[Cell]:
    """The requested cells (default: ours and the peers), in the table's order."""
    wanted = names or list(DEFAULT_CELLS)
    unknown = [name for name in wanted if name not in ALL_CELLS]
    if unknown:
        raise ValueError(f"--cells {', '.join(unknown)}: one of {', '.join(ALL_CELLS)}")
    return [ALL_CELLS[name] for name in ALL_CELLS if name in wanted and name != GEMM.name]


def interleave(cells: list[Cell], round_index: int) -> list[Cell]:
    """One round's order: the GEMM rate, then each of ours beside its peer; odd rounds reversed,
    so a drift of the machine's speed during a run does not favour one side."""
    chosen = {cell.name for cell in cells}
    order: list[Cell] = []
    for cell in cells:
        if cell.side == OURS:
            order.append(cell)
            if cell.peer in chosen:
                order.append(ALL_CELLS[cell.peer])
    order += [cell for cell in cells if cell not in order]
    if round_index % 2:
        order.reverse()
    return [GEMM, *order]
