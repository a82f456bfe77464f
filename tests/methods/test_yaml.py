"""Every method has a YAML in conf/method that composes to the method's registered dataclass."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperpeft.config import compose_config
from hyperpeft.methods import METHOD_NAMES, method_config
from hyperpeft.methods.registry import REGISTRY

CONF = Path(__file__).resolve().parents[2] / "conf" / "method"


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_yaml_composes_to_the_dataclass_defaults(name):
    cfg = compose_config([f"method={name}"])
    parsed_name, config = method_config(cfg.method)
    assert parsed_name == name == cfg.method.name
    _, config_class = REGISTRY[name]
    assert type(config) is config_class
    assert config == config_class(name=name)


def test_no_yaml_without_a_method():
    assert {p.stem for p in CONF.glob("*.yaml")} <= set(METHOD_NAMES)
