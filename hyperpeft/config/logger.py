"""`logger`: where metrics go besides results.json; W&B has settings of its own."""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING


@dataclass
class LoggerConfig:
    name: str = field(default=MISSING, metadata={"help": "csv, wandb or none (conf/logger)."})
    _target_: str | None = field(
        default=None,
        metadata={
            "help": "Factory called with the other keys, run_config and run_dir; null: none."
        },
    )


@dataclass
class CsvLoggerConfig(LoggerConfig):
    _target_: str | None = "hyperpeft.tracking.csv_metrics.csv_logger"
    folder: str = field(default="logs", metadata={"help": "Folder of metrics.csv in the run."})


@dataclass
class WandbLoggerConfig(LoggerConfig):
    _target_: str | None = "hyperpeft.tracking.weights_and_biases.wandb_logger"
    project: str = field(default="hyperpeft", metadata={"help": "W&B project."})
    entity: str | None = field(default=None, metadata={"help": "W&B team or user; null = yours."})
    group: str | None = field(
        default=None,
        metadata={"help": "Run group; null = the multirun/sweep folder's name (or the study)."},
    )
    tags: list[str] = field(
        default_factory=list, metadata={"help": "Extra tags; method and task names are added."}
    )
    mode: str | None = field(
        default=None,
        metadata={"help": "online | offline | disabled; null = online with a key, else offline."},
    )
    run_name: str | None = field(
        default=None, metadata={"help": "Run name; null = method_task_model_seed[_trial]."}
    )
    save_dir: str | None = field(
        default=None, metadata={"help": "Folder of the local W&B files; null = the run folder."}
    )
