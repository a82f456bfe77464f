"""Every method has a YAML in conf/method whose values are the method's documented defaults."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from hyperpeft.methods import METHOD_NAMES, method_config
from hyperpeft.methods.registry import REGISTRY

CONF = Path(__file__).resolve().parents[2] / "conf" / "method"


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_yaml_composes_to_the_dataclass_defaults(name):
    cfg = OmegaConf.load(CONF / f"{name}.yaml")
    parsed_name, config = method_config(cfg)
    assert parsed_name == name
    _, config_class = REGISTRY[name]
    # The YAML states the learning rate the dataclass otherwise picks by backbone family.
    assert dataclasses.replace(config, learning_rate=None) == config_class()
    if config.learning_rate is not None:
        assert config.learning_rate == config_class.default_learning_rates["*"]


def test_no_yaml_without_a_method():
    assert {p.stem for p in CONF.glob("*.yaml")} <= set(METHOD_NAMES)
