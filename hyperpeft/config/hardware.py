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
    frozen_weights: str = field(
        default="float32",
        metadata={
            "help": "dtype the frozen backbone's matrices (linear and embedding weights) are "
            "stored in for training: float32, or bfloat16 with precision=bf16-mixed (cast once, "
            "not on every step; trained parameters, layer norms and heads stay float32)"
        },
    )
    threads: int = field(
        default=0,
        metadata={
            "help": "CPU threads of the run's process (and of each DDP rank): 0 = torch's default "
            "(every core); 1 where runs share the cores, so they do not slow each other"
        },
    )

    def validate(self) -> None:
        if self.threads < 0:
            raise ConfigError("hardware.threads", self.threads, "an integer >= 0 (0: every core)")
        if self.devices != -1:
            check_positive("hardware.devices", self.devices)
        check_positive("hardware.num_nodes", self.num_nodes)
        check_frozen_weights(self.frozen_weights, self.precision)
        if self.accelerator == "gpu":
            import torch

            if not torch.cuda.is_available():
                raise ConfigError(
                    "hardware", self.name, "no CUDA device is visible here; use hardware=cpu"
                )


FROZEN_WEIGHT_DTYPES = {"float32": "32", "bfloat16": "bf16"}


def check_frozen_weights(dtype: str, precision: str) -> None:
    """A stored dtype other than float32 needs the mixed precision that computes in it: without
    autocast, float32 activations would meet bfloat16 weights."""
    if dtype not in FROZEN_WEIGHT_DTYPES:
        raise ConfigError(
            "hardware.frozen_weights", dtype, f"one of {', '.join(FROZEN_WEIGHT_DTYPES)}"
        )
    prefix = FROZEN_WEIGHT_DTYPES[dtype]
    if dtype != "float32" and not str(precision).startswith(f"{prefix}-mixed"):
        raise ConfigError(
            "hardware.frozen_weights",
            dtype,
            f"needs hardware.precision={prefix}-mixed (it is {precision}); or frozen_weights=float32",
        )
