"""Bad method configs fail before anything is built, naming the key, value and what is allowed."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from hyperpeft.backbones import BACKBONE_TYPES, Backbone
from hyperpeft.errors import ConfigError
from hyperpeft.methods import METHOD_NAMES, build_method, method_config
from tests.helpers.tiny_models import ADAPTER_FAMILY, BACKBONES, TASKS, method_cfg


def error(cfg, backbone=None, tasks=TASKS) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        build_method(cfg, backbone or BACKBONES["bert"](), tasks)
    assert "\n" not in str(info.value)
    return info.value


def test_unknown_method_lists_the_method_names():
    e = error({"name": "houlsby"})
    assert e.key == "method" and e.value == "houlsby"
    assert all(name in e.allowed for name in METHOD_NAMES)


@pytest.mark.parametrize("name", ADAPTER_FAMILY)
def test_reduction_factor_must_divide_the_hidden_size(name):
    e = error(method_cfg(name, reduction_factor=5))  # hidden 48
    assert e.key == "method.reduction_factor" and e.value == 5
    assert "48" in e.allowed and "16" in e.allowed  # lists divisors


def test_phm_dim_must_divide_hidden_size_and_bottleneck():
    e = error(method_cfg("compacter", phm_dim=5))
    assert e.key == "method.phm_dim" and "hidden size 48" in e.allowed
    e = error(method_cfg("compacter", reduction_factor=8, phm_dim=4))  # bottleneck 6
    assert e.key == "method.phm_dim" and "bottleneck" in e.allowed


@pytest.mark.parametrize(
    "name, key", [("compacter", "phm_rank"), ("lora", "rank"), ("phm-adapter", "phm_rank")]
)
@pytest.mark.parametrize("rank", [0, -2])
def test_rank_must_be_positive(name, key, rank):
    assert error(method_cfg(name, **{key: rank})).key == f"method.{key}"


@pytest.mark.parametrize("name", ADAPTER_FAMILY)
def test_methods_with_per_task_weights_need_task_names(name):
    e = error(method_cfg(name), tasks=[])
    assert e.key == "task" and name in e.allowed


def test_methods_without_per_task_weights_accept_no_tasks():
    for name in set(METHOD_NAMES) - set(ADAPTER_FAMILY):
        assert build_method({"name": name}, BACKBONES["t5"](), []).task_names == ()


@pytest.mark.parametrize("name", ["adapter", "hyperformer++", "lora"])
def test_architecture_whose_module_names_do_not_match(name):
    t5 = BACKBONES["t5"]()
    wrong = Backbone(t5.model, None, "t5-as-bert", BACKBONE_TYPES["bert"])
    e = error(method_cfg(name), backbone=wrong)
    assert e.key == "model.architecture" and e.value == "bert"


def test_unknown_keys_and_wrong_types_are_rejected():
    e = error(method_cfg("adapter", reduction_factr=16))
    assert e.key == "method.reduction_factr" and "reduction_factor" in e.allowed
    assert error(method_cfg("adapter", reduction_factor="big")).key == "method.reduction_factor"
    # OmegaConf reads yes/no/on/off as booleans, as YAML 1.1 does; anything else is refused
    assert error(method_cfg("adapter", train_layer_norms="maybe")).key == "method.train_layer_norms"
    assert error(method_cfg("adapter", positions=["cross_attention"])).key == "method.positions"
    assert error(method_cfg("adapter", activation="gelu2")).key == "method.activation"
    assert error(method_cfg("lora", dropout=1.5)).key == "method.dropout"
    assert error(method_cfg("adapter", learning_rate=0)).key == "method.learning_rate"


def test_task_names_must_be_distinct_and_usable_as_keys():
    assert error(method_cfg("adapter"), tasks=["rte", "rte"]).key == "task"
    assert error(method_cfg("adapter"), tasks=["glue.rte"]).key == "task"


def test_omegaconf_config_becomes_a_typed_dataclass():
    cfg = OmegaConf.create({"name": "compacter", "phm_dim": 4, "learning_rate": "3e-3"})
    name, config = method_config(cfg)
    assert name == "compacter"
    assert config.learning_rate == 3e-3 and isinstance(config.learning_rate, float)
    assert config.positions == ["attention", "feed_forward"]


def test_a_wrong_type_names_the_key_the_value_and_the_type_allowed():
    e = error(method_cfg("compacter", phm_dim="big"))
    assert str(e) == "method.phm_dim='big': an integer"
    e = error(method_cfg("compacter", phm_rank="low"))
    assert str(e) == "method.phm_rank='low': an integer or null"
    assert str(error(method_cfg("adapter", positions="attention"))).endswith("a list of strings")
