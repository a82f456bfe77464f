"""The GLUE and SuperGLUE tasks and the user's own: data, split protocol, formats, metrics.

task = get_task("rte")
splits = load_splits(task, data_dir, seed)          # data_dir None: the Hugging Face hub
examples = [task.encoder_example(row) for row in splits.test]
metrics = task.compute_metrics(predictions, examples)
task.score(metrics)
"""

from hyperpeft.tasks.base import (
    EncoderExample,
    OfficialData,
    Row,
    Splits,
    Task,
    TextToTextExample,
)
from hyperpeft.tasks.custom import CustomTask
from hyperpeft.tasks.registry import GLUE_TASKS, SUPERGLUE_TASKS, TASK_NAMES, TASKS, get_task
from hyperpeft.tasks.splits import load_splits

__all__ = [
    "GLUE_TASKS",
    "SUPERGLUE_TASKS",
    "TASKS",
    "TASK_NAMES",
    "CustomTask",
    "EncoderExample",
    "OfficialData",
    "Row",
    "Splits",
    "Task",
    "TextToTextExample",
    "get_task",
    "load_splits",
]
