"""The parameter table every run prints before it trains and stores under `params`."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table


def print_parameter_table(params: dict, method: str, model: str, num_tasks: int) -> None:
    table = Table(title=f"{method} on {model}, {num_tasks} task(s)", title_justify="left")
    table.add_column("parameters", style="bold")
    table.add_column("count", justify="right")
    table.add_column("% of backbone", justify="right")
    table.add_row("backbone", f"{params['backbone']:,}", "100")
    table.add_row("trainable", f"{params['trainable']:,}", f"{params['trainable_pct']:.4f}")
    table.add_row("per task", f"{params['per_task']:,.0f}", f"{params['per_task_pct']:.4f}")
    table.add_row("checkpoint bytes", f"{params['checkpoint_bytes']:,}", "")
    Console(stderr=False).print(table)
