"""The machine a run trained on, recorded in its results.json beside the costs it measured.

Step time and memory depend on it, and so do the scores: on the CPU torch draws dropout's masks
with Intel's MKL on Intel processors and with its own generator elsewhere, so one seed gives
other masks, and so another training trajectory, on an AMD machine than on an Intel one. Two
runs of one config and seed agree where these fields agree (same processor vendor, torch and
device); elsewhere they differ like runs of two seeds.
"""

from __future__ import annotations

import platform
from pathlib import Path

import torch

CPUINFO = Path("/proc/cpuinfo")


def cpu_name() -> str:
    """The processor's model name (Linux's /proc/cpuinfo), else what the platform reports."""
    try:
        for line in CPUINFO.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine_info() -> dict[str, str | int]:
    """cpu, device (cpu or the GPU's name), torch's version and the threads of this process."""
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
    return {
        "cpu": cpu_name(),
        "device": device,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }
