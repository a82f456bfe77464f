"""`hardware`: accelerator, processes and precision; the defaults are one CPU process in fp32."""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING

from hyperpeft.config.checks import check_positive
from hyperpeft.errors import ConfigError


@dataclass
class HardwareConfig:
    name: str = field(default=MISSING, metadata={"help": "The option's name (conf/hardware)."})
    accelerator: str = field(default="cpu", metadata={"help": "Lightning accelerator: cpu, gpu."})
    devices: int = field(
        default=1, metadata={"help": "Devices (processes) per node; -1 = every visible GPU."}
    )
    num_nodes: int = field(
        default=1,
        metadata={
            "help": "Machines taking part in DDP, whose processes SLURM or torchrun starts "
            "(devices on each); Lightning connects them."
        },
    )
    strategy: str = field(default="auto", metadata={"help": "Lightning strategy: auto, ddp."})
    precision: str = field(
        default="32-true", metadata={"help": "Lightning precision: 32-true, bf16-mixed, ..."}
    )

    def validate(self) -> None:
        if self.devices != -1:
            check_positive("hardware.devices", self.devices)
        check_positive("hardware.num_nodes", self.num_nodes)
        if self.accelerator == "gpu":
            import torch

            if not torch.cuda.is_available():
                raise ConfigError(
                    "hardware", self.name, "no CUDA device is visible here; use hardware=cpu"
                )
