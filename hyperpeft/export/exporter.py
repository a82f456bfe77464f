"""`export_run(run, format, folder)`: one trained run in one of three formats.

- `safetensors`: the run's own file, the trained parameters only (method, trained layer norms,
  task heads) with the config that rebuilds the run in its metadata: what `hyperpeft-predict`,
  `load_trained_run` and `hyperpeft checkpoint=...` read. Every method has it; it is the only
  format of the adapter family, so their default.
- `peft`: a LoRA run as a peft adapter folder (peft_adapter.py).
- `merged`: the method folded into the backbone, saved with `save_pretrained` (merged.py).

Encoders' task heads go beside the `peft` and `merged` folders (heads.py). Without `--format` a
run gets the most widely read format it has: peft for LoRA, merged where it folds, else
safetensors.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from hyperpeft.backbones.families import backbone_type
from hyperpeft.errors import ConfigError
from hyperpeft.export import FORMATS
from hyperpeft.export.base_model import pretrained_name, save_built_base
from hyperpeft.export.heads import HEADS_FILE, HEADS_INFO, write_task_heads
from hyperpeft.export.merged import can_merge, check_mergeable, write_merged
from hyperpeft.export.peft_adapter import write_peft_adapter
from hyperpeft.methods.lora import LoraMethod
from hyperpeft.recipe import TrainedRun, load_trained_run
from hyperpeft.recipe.rebuild import weights_path
from hyperpeft.training.checkpoints import WEIGHTS_FILE


@dataclass
class Exported:
    format: str
    folder: Path
    files: list[Path]
    notes: list[str] = field(default_factory=list)  # what a user must know to load it


def formats_of(trained: TrainedRun) -> list[str]:
    """The formats this run can be exported to, the most widely read first."""
    method = trained.module.method
    formats = ["peft"] if isinstance(method, LoraMethod) else []
    if can_merge(method):
        formats.append("merged")
    return [*formats, "safetensors"]


def check_format(trained: TrainedRun, fmt: str) -> None:
    if fmt == "peft" and "peft" not in formats_of(trained):
        raise ConfigError(
            "--format",
            "peft",
            f"only lora runs have a peft adapter form; this run's method is "
            f"{trained.module.method.name} (it has: {', '.join(formats_of(trained))})",
        )
    if fmt == "merged":
        check_mergeable(trained)


def check_folder(folder: Path) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ConfigError("--output", str(folder), "a new or empty folder (nothing is overwritten)")


def loader_call(trained: TrainedRun, path: str) -> str:
    """How plain transformers loads the backbone of this run from `path`."""
    backbone = trained.module.backbone
    kind = backbone_type(backbone.config.model_type, "model", backbone.config.model_type)
    arguments = [repr(path), *(f"{key}={value!r}" for key, value in kind.load_kwargs.items())]
    return f"{kind.family.auto_class.__name__}.from_pretrained({', '.join(arguments)})"


def export_run(run: str | Path, fmt: str | None, folder: str | Path) -> Exported:
    """Rebuild the run from its checkpoint and write it to `folder` in `fmt` (None: default)."""
    if fmt is not None and fmt not in FORMATS:
        raise ConfigError("--format", fmt, f"one of {', '.join(FORMATS)}")
    folder = Path(folder)
    check_folder(folder)
    trained = load_trained_run(run)
    fmt = fmt or formats_of(trained)[0]
    check_format(trained, fmt)
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "safetensors":
        target = folder / WEIGHTS_FILE
        shutil.copyfile(weights_path(run), target)
        note = f"load_trained_run({str(folder)!r}) or hyperpeft-predict {folder} rebuilds the run"
        return Exported(fmt, folder, [target], [note])
    exported = _peft(trained, folder) if fmt == "peft" else _merged(trained, folder)
    heads = write_task_heads(trained.module, folder)
    if heads:
        exported.files += heads
        exported.notes.append(
            f"task heads are not part of the {fmt} format: they are in {HEADS_FILE}, "
            f"described in {HEADS_INFO} (mean-pooled last_hidden_state -> linear)"
        )
    return exported


def _peft(trained: TrainedRun, folder: Path) -> Exported:
    base = pretrained_name(trained)
    notes = []
    if base is None:
        base = str(save_built_base(trained, folder).resolve())
        notes.append(f"the run's backbone was built from settings; it is saved in {base}")
    files = write_peft_adapter(trained, folder, base)
    load = f"PeftModel.from_pretrained({loader_call(trained, base)}, {str(folder)!r})"
    return Exported("peft", folder, files, [f"load: {load}", *notes])


def _merged(trained: TrainedRun, folder: Path) -> Exported:
    files = write_merged(trained, folder)
    return Exported("merged", folder, files, [f"load: {loader_call(trained, str(folder))}"])
