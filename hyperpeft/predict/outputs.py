"""Writing predictions: one line per input row, jsonl or csv (by the output file's extension).

jsonl: `{"label": ..., "probabilities": {name: p, ...}}` (no probabilities for regression). csv:
a `label` column, then one `probability_<name>` column per class when every row has the same
classes, or one `probabilities` column of JSON when they vary (ReCoRD's candidates).
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from hyperpeft.errors import ConfigError
from hyperpeft.predict.labels import Prediction

OUTPUT_FORMATS = {".jsonl": "jsonl", ".csv": "csv"}


def output_format(output: str | None) -> str:
    """jsonl on standard output; otherwise by the file's extension."""
    if output is None:
        return "jsonl"
    fmt = OUTPUT_FORMATS.get(Path(output).suffix.lower())
    if fmt is None:
        raise ConfigError("--output", output, f"a {' or '.join(OUTPUT_FORMATS)} file")
    return fmt


def write_jsonl(predictions: Iterable[Prediction], handle: IO[str]) -> None:
    for prediction in predictions:
        handle.write(json.dumps(prediction.to_json(), ensure_ascii=False) + "\n")
        handle.flush()


def write_csv(
    predictions: Iterable[Prediction], handle: IO[str], class_names: list[str] | None
) -> None:
    """`class_names`: the classes every row shares (None: they vary from row to row). The
    header follows the first prediction: probability columns only if it has probabilities."""
    writer = csv.writer(handle, lineterminator="\n")
    rows = iter(predictions)
    first = next(rows, None)
    shared = class_names if first is not None and first.probabilities is not None else None
    varying = first is not None and first.probabilities is not None and not class_names
    header = ["label", *(f"probability_{name}" for name in shared or ())]
    writer.writerow(header + (["probabilities"] if varying else []))
    for prediction in itertools.chain([first] if first is not None else [], rows):
        cells: list = ["" if prediction.label is None else prediction.label]
        shares = prediction.probabilities or {}
        if shared:
            cells += [shares.get(name, "") for name in shared]
        elif varying:
            cells.append(json.dumps(shares, ensure_ascii=False))
        writer.writerow(cells)
        handle.flush()


def write_predictions(
    predictions: Iterable[Prediction], fmt: str, handle: IO[str], class_names: list[str] | None
) -> None:
    if fmt == "csv":
        write_csv(predictions, handle, class_names)
    else:
        write_jsonl(predictions, handle)
