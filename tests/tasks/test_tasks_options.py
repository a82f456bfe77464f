"""The `task` config group: one option per registered task from code, mixtures derived from the
registry, and the group's schema checked at the door of a run."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

from hyperpeft.config.store import register_configs
from hyperpeft.errors import ConfigError
from hyperpeft.tasks import GLUE_TASKS, SUPERGLUE_TASKS, TASK_NAMES, TASKS, get_task
from hyperpeft.tasks.config import TaskConfig
from hyperpeft.tasks.glue import Rte
from hyperpeft.tasks.registry import benchmark_tasks, register_task

CONF = Path(__file__).resolve().parents[2] / "conf"


def compose_task(*overrides: str):
    register_configs()  # every schema, so this file runs alone too
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides)).task


def task_options() -> set[str]:
    register_configs()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return set(GlobalHydra.instance().config_loader().get_group_options("task"))


def test_every_registered_task_is_an_option_without_a_yaml_of_its_own():
    assert task_options() == {*TASK_NAMES, "glue", "superglue", "custom"}
    assert sorted(path.stem for path in (CONF / "task").glob("*.yaml")) == [
        "custom",
        "glue",
        "superglue",
    ]
    for name in TASK_NAMES:
        task = compose_task(f"task={name}")
        assert OmegaConf.to_container(task) == {
            "name": name,
            "tasks": [name],
            "temperature": 1.0,
            "custom": {},
        }


def test_mixtures_are_the_benchmarks_tasks_in_their_order():
    glue = compose_task("task=glue")
    assert (glue.name, list(glue.tasks), glue.temperature) == ("glue", list(GLUE_TASKS), 10.0)
    assert "wnli" not in glue.tasks and len(glue.tasks) == 8
    assert list(compose_task("task=superglue").tasks) == list(SUPERGLUE_TASKS)
    assert len(SUPERGLUE_TASKS) == 8
    subset = compose_task("task=superglue", "task.tasks=[cb,copa,wic]")
    assert (subset.name, list(subset.tasks)) == ("superglue", ["cb", "copa", "wic"])


@pytest.fixture
def toy_task():
    """A task added the way a contributor adds one: a class with the decorator, nothing else."""

    @register_task
    class ToyRte(Rte):
        name = "toy-rte"
        benchmark = "toy"

    yield ToyRte
    del TASKS["toy-rte"]
    ConfigStore.instance().repo["task"].pop("toy-rte.yaml", None)


def test_a_new_task_class_is_a_name_an_option_and_its_benchmarks_mixture(toy_task):
    assert isinstance(get_task("toy-rte"), toy_task)
    assert benchmark_tasks("toy") == ("toy-rte",)
    assert list(compose_task("task=toy-rte").tasks) == ["toy-rte"]
    mixture = compose_task("task=glue", "task.tasks=${hyperpeft.benchmark:toy}")
    assert list(mixture.tasks) == ["toy-rte"]


def test_registering_a_name_twice_is_refused():
    with pytest.raises(ValueError, match="registered twice"):

        @register_task
        class AnotherRte(Rte):
            pass


@pytest.mark.parametrize("option", ["rte", "glue", "custom"])
def test_the_schema_types_every_option_at_composition(option):
    with pytest.raises(ConfigCompositionException) as error:
        compose_task(f"task={option}", "task.temperature=warm")
    assert "could not be converted to Float" in str(error.value.__cause__)


@pytest.mark.parametrize(
    ("overrides", "key", "allowed"),
    [
        (["+task.temprature=3"], "task.temprature", "allowed keys: name, tasks, temperature"),
        (["task=glue", "+task.extra=1"], "task.extra", "allowed keys"),
        (["task.temperature=0"], "task.temperature", "> 0"),
        (["task.tasks=[]"], "task.tasks", "an empty mixture"),
        (["task=glue", "task.tasks=[rte,cb,rte]"], "task.tasks", "more than once"),
        (["task.tasks=${hyperpeft.benchmark:nope}"], "task.tasks", "glue, superglue"),
        (["task=custom"], "task.custom.my_task.train", "required: a path"),
        (
            ["task=custom", "task.custom.my_task.train=t.csv", "+task.custom.my_task.regression=2"],
            "task.custom.my_task.regression",
            "true or false",
        ),
    ],
)
def test_the_group_is_checked_at_the_door(overrides, key, allowed):
    with pytest.raises(ConfigError) as error:
        TaskConfig.from_config(compose_task(*overrides))
    assert error.value.key == key
    assert allowed in error.value.allowed
    assert "\n" not in str(error.value)


def test_custom_tasks_are_an_open_mapping_checked_when_built():
    """`+task.custom.<new name>.<key>=...` (the README's form) composes; the settings of a task
    not in the mixture (the placeholder my_task) are not checked."""
    task = compose_task(
        "task=custom",
        "task.tasks=[reviews]",
        "+task.custom.reviews.train=train.csv",
        "+task.custom.reviews.text_fields=[review]",
        "+task.custom.reviews.label_names=[negative,positive]",
    )
    checked = TaskConfig.from_config(task)
    assert checked.tasks == ["reviews"] and set(checked.custom) == {"my_task", "reviews"}
    assert get_task("reviews", task.custom).label_names == ["negative", "positive"]
