"""Every option of every config group composes, and the values the schemas and checks reject."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from hyperpeft.config import compose_config, register_configs, validate_config
from hyperpeft.errors import ConfigError

CONF = Path(__file__).resolve().parents[2] / "conf"
GROUPS = ("model", "method", "task", "hardware", "logger")
register_configs()  # as the CLI does before composing


def _options(group: str) -> list[str]:
    """The options Hydra offers for `group=`: files of conf/ and entries registered in code."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return sorted(GlobalHydra.instance().config_loader().get_group_options(group))


def _compose(*overrides: str):
    return compose_config(overrides)


@pytest.mark.parametrize(
    ("group", "option"), [(group, option) for group in GROUPS for option in _options(group)]
)
def test_every_option_composes(group, option):
    cfg = _compose(f"{group}={option}")
    selected = cfg[group]
    assert selected.name == option or group == "task" and option == "custom"
    # resolvable end to end, except values a user must fill in (???)
    container = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=False)
    assert container[group]


def test_groups_have_the_options_the_spec_names():
    assert {"minilm", "tiny-bert", "tiny-t5", "t5-small", "t5-base", "t5-large"} <= set(
        _options("model")
    )
    assert {"cpu", "cpu-bf16", "gpu", "multi-gpu", "ddp-cpu"} == set(_options("hardware"))
    assert {"csv", "wandb", "none"} == set(_options("logger"))
    glue = {"cola", "sst2", "mrpc", "qqp", "stsb", "mnli", "qnli", "rte"}
    superglue = {"boolq", "cb", "copa", "multirc", "record", "superglue-rte", "wic", "wsc"}
    assert glue | superglue | {"glue", "superglue", "custom"} == set(_options("task"))
    assert set(_compose("task=glue").task.tasks) == glue
    assert set(_compose("task=superglue").task.tasks) == superglue


def test_defaults_validate():
    validate_config(_compose())


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("task.temperature=0", "task.temperature"),
        ("task.temperature=-1", "task.temperature"),
        ("task.tasks=[]", "task.tasks"),
        ("task.tasks=[rte,rte]", "task.tasks"),
        ("trainer.batch_size=0", "trainer.batch_size"),
        ("trainer.max_steps=-5", "trainer.max_steps"),
        ("trainer.warmup_ratio=1.5", "trainer.warmup_ratio"),
        ("trainer.learning_rate=-0.1", "trainer.learning_rate"),
        ("hardware=gpu", "hardware"),
        ("hardware.threads=-2", "hardware.threads"),
        ("trainer.max_steps=lots", "trainer.max_steps"),
    ],
)
def test_bad_values_name_their_key(override, key):
    with pytest.raises(ConfigError) as err:
        validate_config(_compose(override))
    assert err.value.key == key
    assert str(err.value).startswith(f"{key}=")
