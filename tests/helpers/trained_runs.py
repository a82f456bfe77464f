"""Runs trained a few steps through the recipe, each once per test session (and xdist worker):
what the prediction, export and dashboard tests read back.

    def test_x(trained_runs):
        run_dir = trained_runs("model=tiny-bert", "method=lora", "task=rte")

Conftests that need them import the fixture: `from tests.helpers.trained_runs import
trained_runs  # noqa: F401`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hyperpeft.config import register_configs
from hyperpeft.methods import METHOD_NAMES
from tests.helpers.commands import FAST
from tests.helpers.inprocess import run_inprocess
from tests.helpers.tiny_models import ADAPTER_FAMILY

# The YAML tiny models are 64 wide: a bottleneck of 8 suits every adapter method (the default
# 64 / 32 = 2 is no multiple of the Compacter family's phm_dim 4; phm-adapter's 12 divides no 64).
METHOD_OVERRIDES: dict[str, tuple[str, ...]] = {
    name: ("method.reduction_factor=8",) for name in ADAPTER_FAMILY
}
METHOD_OVERRIDES["phm-adapter"] += ("method.phm_dim=4",)


def method_overrides(method: str) -> tuple[str, ...]:
    assert method in METHOD_NAMES, method
    return (f"method={method}", *METHOD_OVERRIDES.get(method, ()))


@pytest.fixture(scope="session")
def trained_runs(tmp_path_factory) -> Callable[..., Path]:
    """`trained_runs(*overrides)`: the folder of a run with these overrides (and a budget of a
    few steps, `FAST`), trained the first time it is asked for."""
    register_configs()  # the schemas and task options the command registers
    root = tmp_path_factory.mktemp("trained")
    runs: dict[tuple[str, ...], Path] = {}

    def call(*overrides: str) -> Path:
        if overrides not in runs:
            run_dir = root / f"run{len(runs)}"
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("HYPERPEFT_CACHE_DIR", str(root / "cache"))
                run_inprocess(run_dir, *overrides, *FAST)
            runs[overrides] = run_dir
        return runs[overrides]

    return call
