"""The composed config of one run: the groups, the top-level keys and the sweep trial's node."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from hyperpeft.config.data import DataConfig
from hyperpeft.config.hardware import HardwareConfig
from hyperpeft.config.logger import LoggerConfig
from hyperpeft.config.model import ModelConfig
from hyperpeft.config.trainer import TrainerConfig
from hyperpeft.errors import ConfigError


@dataclass
class SweepTrialConfig:
    """`optuna.*`: set by the Optuna sweeper for each trial (hyperpeft.sweeps.trial.TrialRef);
    unset outside a sweep."""

    storage: str | None = None
    study_name: str | None = None
    trial_number: int | None = None
    pruner: str = "none"
    pruner_args: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunConfig:
    model: ModelConfig = MISSING
    # A method's registered config dataclass (hyperpeft.methods); each has its own fields.
    method: Any = MISSING
    task: Any = MISSING
    hardware: HardwareConfig = MISSING
    logger: LoggerConfig = MISSING
    seed: int = field(default=42, metadata={"help": "Seeds weights, data order and sampling."})
    dry_run: bool = field(
        default=False,
        metadata={"help": "Build the model and method, write the parameter table, exit."},
    )
    checkpoint: str | None = field(
        default=None,
        metadata={
            "help": "A run's model.safetensors (or its folder) to start from; with "
            "trainer.max_steps=0 it is only evaluated."
        },
    )
    init_from: str | None = field(
        default=None,
        metadata={
            "help": "A trained run (its folder, checkpoint folder or model.safetensors) whose "
            "shared weights this run starts from, with the per-task weights of the tasks both "
            "have; new tasks start fresh: few-shot transfer with data.max_train_examples=k."
        },
    )
    init_tasks: dict[str, str] = field(
        default_factory=dict,
        metadata={
            "help": "With init_from: new task -> trained task whose per-task weights (task "
            "embedding, adapters) it starts from (+init_tasks.cb=mnli); unmapped new tasks "
            "start fresh."
        },
    )
    data: DataConfig = field(default_factory=DataConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    optuna: SweepTrialConfig = field(default_factory=SweepTrialConfig)
    callbacks: dict[str, Any] = field(
        default_factory=dict,
        metadata={
            "help": "Extra Lightning callbacks by any name, each built from its `_target_` "
            "(+callbacks.lr._target_=pytorch_lightning.callbacks.LearningRateMonitor)."
        },
    )

    def validate(self) -> None:
        """Range checks of every group that needs no backbone (the method's need its sizes)."""
        for group in (self.model, self.hardware, self.data, self.trainer):
            group.validate()
        if self.init_from is not None and self.checkpoint is not None:
            raise ConfigError(
                "init_from",
                self.init_from,
                "not together with checkpoint= (which loads a run of the same tasks as it is); "
                "drop one",
            )
        if self.init_tasks and self.init_from is None:
            raise ConfigError(
                "init_tasks", dict(self.init_tasks), "only with init_from=<a trained run>"
            )
