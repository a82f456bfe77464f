"""The GLUE and SuperGLUE tasks and the user's own: data, split protocol, formats, metrics.

task = get_task("rte")
splits = load_splits(task, data_dir, seed)          # data_dir None: the Hugging Face hub
examples = [task.encoder_example(row) for row in splits.test]
metrics = task.compute_metrics(predictions, examples)
task.score(metrics)
"""

from hyperpeft.tasks import glue, superglue  # noqa: F401  (their classes register themselves)
from hyperpeft.tasks.base import (
    EncoderExample,
    OfficialData,
    Row,
    Splits,
    Task,
    TextToTextExample,
)
from hyperpeft.tasks.custom import CustomTask
from hyperpeft.tasks.head import Head
from hyperpeft.tasks.registry import (
    TASKS,
    benchmark_tasks,
    benchmarks,
    get_task,
    register_task,
    task_names,
)
from hyperpeft.tasks.splits import load_splits

TASK_NAMES: tuple[str, ...] = task_names()
GLUE_TASKS: tuple[str, ...] = benchmark_tasks("glue")
SUPERGLUE_TASKS: tuple[str, ...] = benchmark_tasks("superglue")

__all__ = [
    "GLUE_TASKS",
    "SUPERGLUE_TASKS",
    "TASKS",
    "TASK_NAMES",
    "CustomTask",
    "EncoderExample",
    "Head",
    "OfficialData",
    "Row",
    "Splits",
    "Task",
    "TextToTextExample",
    "benchmark_tasks",
    "benchmarks",
    "get_task",
    "load_splits",
    "register_task",
    "task_names",
]
