"""`hyperpeft-report DIR --wandb-project P [--entity E]`: the report's runs as a W&B workspace.

Online (W&B credentials, and WANDB_MODE not offline) the workspace is saved to the project and
its URL printed. Offline it is written as JSON beside report.md (`wandb_workspace.json`: what
each panel reads, and the view specification `Workspace.save()` would upload), and the command
says how to publish it: sync the offline runs, then run it again with credentials.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hyperpeft.atomic import atomic_write_text
from hyperpeft.errors import ConfigError
from hyperpeft.report.workspace import build_workspace, workspace_fields
from hyperpeft.results import RunResult
from hyperpeft.tracking.weights_and_biases import resolve_mode

WORKSPACE_FILE = "wandb_workspace.json"


def workspace_spec(workspace: Any) -> dict[str, Any]:
    """The workspace as JSON: its panels in our words, then the view W&B would store."""
    panels = [
        {
            "section": section.name,
            "panel": type(panel).__name__,
            "title": getattr(panel, "title", None),
        }
        for section in workspace.sections
        for panel in section.panels
    ]
    # the library serialises a view only through its model; that model is what save() uploads
    view = workspace._to_model().model_dump(by_alias=True, exclude_none=True)
    return {
        "entity": workspace.entity or None,
        "project": workspace.project,
        "name": workspace.name,
        "panels": panels,
        "reads": sorted(f"{section}:{key}" for section, key in workspace_fields(workspace)),
        "view": view,
    }


def publish_workspace(
    rows: Sequence[RunResult],
    root: Path,
    out_dir: Path,
    project: str,
    entity: str | None = None,
) -> list[str]:
    """Save the workspace (online) or write its JSON (offline); the lines to print."""
    try:
        mode = resolve_mode(None)
    except ConfigError:
        raise ConfigError(
            "WANDB_MODE", "online", "needs WANDB_API_KEY or `wandb login`; unset it to work offline"
        ) from None
    if mode == "online":
        import wandb

        entity = entity or wandb.Api().default_entity
        if not entity:
            raise ConfigError("--entity", entity, "required: this W&B login has no default entity")
        workspace = build_workspace(rows, project, entity, root).save()
        return [f"W&B workspace: {workspace.url}"]
    workspace = build_workspace(rows, project, entity or "", root)
    path = out_dir / WORKSPACE_FILE
    atomic_write_text(path, json.dumps(workspace_spec(workspace), indent=2) + "\n")
    entity_flag = f" --entity {entity}" if entity else ""
    return [
        f"W&B workspace (offline): {path}",
        "to publish it: upload the offline runs (wandb sync <run>/wandb/offline-run-*), then "
        f"run `hyperpeft-report {root} --wandb-project {project}{entity_flag}` again with "
        "WANDB_API_KEY set (or after `wandb login`)",
    ]
