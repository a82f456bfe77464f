"""results.json records the machine a run had: the processor (whose vendor decides how torch
draws dropout masks on the CPU), the device, torch's version and the threads."""

from __future__ import annotations

import torch

from hyperpeft import machine
from hyperpeft.recipe.record import dry_run_result
from tests.helpers.inprocess import compose_config


def test_the_cpu_is_named_from_cpuinfo(tmp_path, monkeypatch):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9R14\n")
    monkeypatch.setattr(machine, "CPUINFO", cpuinfo)
    assert machine.cpu_name() == "AMD EPYC 9R14"
    monkeypatch.setattr(machine, "CPUINFO", tmp_path / "absent")
    assert machine.cpu_name()  # the platform's answer, never empty


def test_a_runs_result_carries_the_machine():
    info = machine.machine_info()
    assert set(info) == {"cpu", "device", "torch", "threads"}
    assert info["torch"] == torch.__version__ and info["threads"] == torch.get_num_threads()
    cfg = compose_config("model=tiny-bert", "method=adapter", "dry_run=true")
    result = dry_run_result(cfg, {}, {"config": {}}, started=0.0)
    assert result.machine == info and result.to_json()["machine"] == info
