"""The dataclasses own the defaults and the types; the YAMLs in conf/ only override them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

import hyperpeft.config.store as store
from hyperpeft.config import (
    HardwareConfig,
    RunConfig,
    TrainerConfig,
    compose_config,
    config_error,
    register_configs,
    validate_config,
)
from hyperpeft.errors import ConfigError
from hyperpeft.methods import METHOD_NAMES
from hyperpeft.methods.compacter import CompacterConfig
from hyperpeft.methods.registry import REGISTRY

CONF = Path(__file__).resolve().parents[2] / "conf"
GROUPS = ("method", "hardware", "model", "logger")


@pytest.fixture
def restore_schemas():
    """Tests that patch a schema store it again afterwards, for the tests that follow."""
    yield
    register_configs()


def _yaml_options() -> list[tuple[str, str]]:
    return [(g, p.stem) for g in GROUPS for p in sorted((CONF / g).glob("*.yaml"))]


@pytest.mark.parametrize(("group", "option"), _yaml_options())
def test_each_yaml_names_its_schema_and_restates_no_default(group, option):
    yaml = OmegaConf.load(CONF / group / f"{option}.yaml")
    (schema_entry, self_entry) = yaml.defaults
    assert schema_entry.startswith(f"/{store.GROUP}/{group}") and schema_entry.endswith("@_here_")
    assert self_entry == "_self_"
    register_configs()
    schema_path = schema_entry.removeprefix("/").removesuffix("@_here_") + ".yaml"
    schema = ConfigStore.instance().load(schema_path).node
    for key, value in yaml.items():
        if key != "defaults":
            assert OmegaConf.select(schema, key) != value, f"{group}/{option}.yaml restates {key}"


def test_the_primary_config_keeps_only_the_defaults_list_and_hydra_settings():
    yaml = OmegaConf.load(CONF / "config.yaml")
    assert set(yaml) == {"defaults", "hydra"}
    assert yaml.defaults[0] == f"/{store.GROUP}/config@_here_"


def test_every_method_yaml_composes_to_its_registered_dataclass():
    for name in METHOD_NAMES:
        method = compose_config([f"method={name}"]).method
        assert OmegaConf.get_type(method) is REGISTRY[name][1], name


def test_a_method_default_lives_in_its_dataclass(monkeypatch, restore_schemas):
    @dataclass
    class WiderCompacter(CompacterConfig):
        phm_dim: int = 8

    method_class, _ = REGISTRY["compacter"]
    monkeypatch.setitem(REGISTRY, "compacter", (method_class, WiderCompacter))
    cfg = compose_config(["method=compacter"])
    assert cfg.method.phm_dim == 8
    assert validate_config(cfg).method == WiderCompacter(name="compacter")


def test_trainer_and_top_level_defaults_live_in_the_run_schema(monkeypatch, restore_schemas):
    @dataclass
    class ShorterRun(RunConfig):
        seed: int = 7
        trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(max_steps=5))

    monkeypatch.setattr(store, "RunConfig", ShorterRun)
    cfg = compose_config()
    assert cfg.seed == 7 and cfg.trainer.max_steps == 5
    assert cfg.trainer.batch_size == TrainerConfig().batch_size


def test_a_hardware_default_lives_in_its_dataclass(monkeypatch, restore_schemas):
    @dataclass
    class HalfPrecision(HardwareConfig):
        precision: str = "bf16-mixed"

    monkeypatch.setattr(store, "HardwareConfig", HalfPrecision)
    assert compose_config(["hardware=cpu"]).hardware.precision == "bf16-mixed"
    assert compose_config(["hardware=ddp-cpu"]).hardware.devices == 2  # the YAML's override


def _refusal(*overrides: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        validate_config(compose_config(overrides))
    assert "\n" not in str(info.value)
    return info.value


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("+trainer.maxsteps=5", "trainer.maxsteps"),
        ("trainer.maxsteps=5", "trainer.maxsteps"),
        ("+method.phm_dimm=4", "method.phm_dimm"),
        ("+hardware.gpus=2", "hardware.gpus"),
        ("+data.folder=x", "data.folder"),
        ("+seeds=3", "seeds"),
    ],
)
def test_an_unknown_key_is_refused_even_with_plus(override, key):
    e = _refusal(override)
    assert e.key == key and e.allowed.startswith("not a") and "one of: " in e.allowed
    assert str(e).startswith(f"{key}=")


def test_an_unknown_key_lists_the_keys_of_its_group():
    e = _refusal("+trainer.maxsteps=5")
    assert e.value == 5 and "max_steps" in e.allowed and "batch_size" in e.allowed


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("trainer.max_steps=lots", "trainer.max_steps='lots': an integer"),
        ("trainer.learning_rate=fast", "trainer.learning_rate='fast': a number or null"),
        ("dry_run=maybe", "dry_run='maybe': true or false"),
        ("method.positions=attention", "method.positions='attention': a list of strings"),
        ("model.max_length=[1,2]", "model.max_length=[1, 2]: an integer"),
        ("hardware.devices=two", "hardware.devices='two': an integer"),
    ],
)
def test_a_wrong_type_is_refused_naming_the_key_and_the_type(override, message):
    assert str(_refusal(override)) == message


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("data.max_train_examples=0", "data.max_train_examples"),
        ("data.num_workers=-1", "data.num_workers"),
        ("trainer.head_dropout=1", "trainer.head_dropout"),
        ("trainer.label_smoothing=1.5", "trainer.label_smoothing"),
        ("trainer.label_smoothing=-0.1", "trainer.label_smoothing"),
        ("+init_tasks.cb=mnli", "init_tasks"),  # a mapping is only for a transfer
        ("init_from=run", "init_from"),  # with checkpoint=run, below
        ("hardware.num_nodes=0", "hardware.num_nodes"),
        ("model.max_length=0", "model.max_length"),
    ],
)
def test_ranges_types_cannot_express_are_checked_next_to_their_fields(override, key):
    extra = ("checkpoint=run",) if override.startswith("init_from") else ()
    assert _refusal(override, *extra).key == key


def test_the_validated_config_is_typed():
    config = validate_config(compose_config(["method=lora", "hardware=ddp-cpu"]))
    assert isinstance(config, RunConfig)
    assert isinstance(config.trainer, TrainerConfig) and isinstance(config.hardware, HardwareConfig)
    assert type(config.method) is REGISTRY["lora"][1] and config.method.rank == 8


def test_a_mistake_in_a_users_yaml_names_the_key_and_the_file(tmp_path):
    (tmp_path / "hardware").mkdir()
    (tmp_path / "config.yaml").write_text(
        "defaults:\n  - /schema/config@_here_\n  - hardware: mine\n  - _self_\n"
    )
    (tmp_path / "hardware" / "mine.yaml").write_text(
        "defaults:\n  - /schema/hardware@_here_\n  - _self_\nname: mine\ndevicez: 2\n"
    )
    register_configs()
    GlobalHydra.instance().clear()
    with (
        pytest.raises(Exception) as info,
        initialize_config_dir(config_dir=str(tmp_path), version_base="1.3"),
    ):
        compose("config")
    error = config_error(info.value)
    assert str(error).startswith("hardware.devicez=<set in hardware/mine>: not a key of hardware")
