"""`atomic_write`: the target holds the old bytes or the new ones, and no temporary file stays."""

from __future__ import annotations

import pytest

from hyperpeft.atomic import atomic_write, atomic_write_text


def test_a_write_replaces_the_file_and_leaves_nothing_beside_it(tmp_path):
    target = tmp_path / "deep" / "results.json"
    atomic_write_text(target, "old")
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in target.parent.iterdir()] == ["results.json"]


def test_a_failing_writer_keeps_the_old_file(tmp_path):
    target = tmp_path / "model.safetensors"
    atomic_write_text(target, "good")

    def half_then_crash(tmp):
        tmp.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, half_then_crash)
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]


def test_without_commit_the_target_is_untouched(tmp_path):
    target = tmp_path / "last.ckpt"
    atomic_write(target, lambda tmp: tmp.write_text("rank 1's copy"), commit=False)
    assert list(tmp_path.iterdir()) == []


def test_the_file_gets_the_permissions_a_plain_write_gives(tmp_path):
    plain, atomic = tmp_path / "plain.json", tmp_path / "atomic.json"
    plain.write_text("{}")
    atomic_write_text(atomic, "{}")
    assert atomic.stat().st_mode == plain.stat().st_mode
