"""Slow tests run real models: two threads each, and the e2e `hyperpeft` fixture."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import hyperpeft  # noqa: F401 - a fixture shared with the e2e tests


@pytest.fixture(autouse=True)
def two_threads(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
