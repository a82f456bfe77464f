"""`+sweep=NAME` finds sweeps/NAME.yaml, and every project sweep is a valid study definition."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.object_type import ObjectType
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from hydra_plugins.hyperpeft_optuna_sweeper._search_space import SearchSpace
from hydra_plugins.hyperpeft_optuna_sweeper.config import OptunaSweeperConf
from hydra_plugins.hyperpeft_optuna_sweeper.search_path import (
    SCHEME,
    SweepsFolderConfigSource,
    sweeps_folder,
)
from hyperpeft.config import compose_config, register_configs, typed

ROOT = Path(__file__).resolve().parents[2]
SWEEPS = sorted(path.stem for path in (ROOT / "sweeps").glob("*.yaml"))
METHODS = ("compacter", "compacter++", "adapter", "hyperformer++")
MISSING = object()


def compose_with(conf_dir: Path, overrides: list[str]):
    register_configs()  # the project's task=<name> options, as the CLI registers them
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(conf_dir), version_base="1.3"):
        return compose("config", overrides=overrides, return_hydra_config=True)


@pytest.fixture
def stand_in_conf(tmp_path: Path) -> Path:
    """An app config with a `method` group, as hyperpeft's conf/ has."""
    (tmp_path / "method").mkdir()
    for method in METHODS:
        (tmp_path / "method" / f"{method}.yaml").write_text(f"name: {method}\n")
    (tmp_path / "config.yaml").write_text("defaults:\n  - method: compacter\n  - _self_\nseed: 1\n")
    return tmp_path


def test_the_project_sweeps_folder_is_found():
    assert sweeps_folder() == ROOT / "sweeps"
    assert {"adapter_bottleneck", "compacter_rank", "hyperformer_size", "learning_rate"} <= set(
        SWEEPS
    )


def test_config_source_mounts_a_folder_as_the_sweep_group(tmp_path):
    (tmp_path / "a.yaml").write_text("# @package _global_\nx: 1\n")
    source = SweepsFolderConfigSource(provider="test", path=f"{SCHEME}://{tmp_path}")
    assert source.list("", ObjectType.GROUP) == ["sweep"]
    assert source.list("sweep", ObjectType.CONFIG) == ["a"]
    assert source.is_config("sweep/a") and not source.is_config("a")
    loaded = source.load_config("sweep/a")
    assert loaded.header["package"] == "_global_" and loaded.config.x == 1


@pytest.mark.parametrize("name", SWEEPS)
def test_each_sweep_composes_into_an_optuna_study(stand_in_conf, name):
    cfg = compose_with(stand_in_conf, [f"+sweep={name}", "method=compacter"])
    sweeper = cfg.hydra.sweeper
    assert sweeper._target_.endswith("hyperpeft_optuna_sweeper.sweeper.OptunaSweeper")
    assert sweeper.study_name and sweeper.storage and sweeper.seed is not None
    settings = typed(OptunaSweeperConf, sweeper, key="hydra.sweeper")
    settings.validate()
    parser = OverridesParser.create()
    space = SearchSpace.from_overrides(
        parser.parse_overrides([f"{k}={v}" for k, v in settings.params.items()])
    )
    assert space.distributions and all(key.startswith("method.") for key in space.distributions)


def test_learning_rate_sweep_keeps_one_study_per_method(stand_in_conf):
    cfg = compose_with(stand_in_conf, ["+sweep=learning_rate", "method=hyperformer++"])
    assert cfg.hydra.sweeper.study_name == "learning_rate_hyperformer++"


def test_a_sweep_chooses_its_method_unless_the_command_line_does(stand_in_conf):
    assert compose_with(stand_in_conf, ["+sweep=adapter_bottleneck"]).method.name == "adapter"
    cfg = compose_with(stand_in_conf, ["+sweep=compacter_rank", "method=compacter++"])
    assert cfg.hydra.runtime.choices.method == "compacter++"


@pytest.mark.parametrize("name", SWEEPS)
def test_sweep_keys_exist_in_the_project_config(name):
    """Against the real conf/: every searched key is a key of the method the sweep runs."""
    sweep = OmegaConf.load(ROOT / "sweeps" / f"{name}.yaml")
    chosen = [d["override /method"] for d in sweep.defaults if "override /method" in d]
    methods = chosen or list(METHODS)
    missing_yaml = [m for m in methods if not (ROOT / "conf" / "method" / f"{m}.yaml").exists()]
    if missing_yaml:
        pytest.skip(f"conf/method lacks {missing_yaml}")
    for method in methods:
        cfg = compose_config([f"+sweep={name}", f"method={method}"], return_hydra_config=True)
        for key in cfg.hydra.sweeper.params:
            assert OmegaConf.select(cfg, key, default=MISSING) is not MISSING, (method, key)
