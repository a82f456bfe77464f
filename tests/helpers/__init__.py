"""Helpers the tests share: tiny models, the project's commands, in-process runs, sweeps.

Tests import these modules; fixtures built on them live in tests/conftest.py.
"""
