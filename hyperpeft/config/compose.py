"""Composing the project's config outside the CLI (tests, benchmarks), the way the CLI does."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig

from hyperpeft.config.store import register_configs
from hyperpeft.config.typed import config_error


def config_dir() -> str:
    """The `conf/` folder: beside the package in a checkout, inside it in a wheel."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package.parent / "conf", package / "_conf"):
        if candidate.is_dir():
            return str(candidate)
    raise FileNotFoundError("hyperpeft's conf/ folder is missing from this installation")


def compose_config(overrides: Sequence[str] = (), return_hydra_config: bool = False) -> DictConfig:
    """`conf/config.yaml` with `overrides`, checked against the schemas; a refused value raises
    the same one-line ConfigError the CLI prints."""
    register_configs()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
            return compose(
                "config", overrides=list(overrides), return_hydra_config=return_hydra_config
            )
    except Exception as err:
        error = config_error(err, overrides)
        if error is None:
            raise
        raise error from err
