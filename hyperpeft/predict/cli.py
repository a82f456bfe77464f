"""`hyperpeft-predict RUN_OR_CHECKPOINT INPUT [--task NAME] [--output FILE] [--batch-size N]`.

    hyperpeft-predict outputs/runs/<run> reviews.csv --output predictions.csv
    cat pairs.jsonl | hyperpeft-predict outputs/runs/<run>/checkpoint - --task rte

The run is rebuilt from its checkpoint's metadata alone (`load_trained_run`). A progress bar is
drawn on stderr only when stderr is a terminal; predictions go to stdout (jsonl) unless
`--output` names a .jsonl or .csv file, which is written whole or not at all.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import IO

from hyperpeft.commandline import OneLineParser, run_command
from hyperpeft.errors import ConfigError
from hyperpeft.predict.inputs import STDIN, file_format
from hyperpeft.predict.labels import Prediction
from hyperpeft.predict.outputs import output_format, write_predictions


def build_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="hyperpeft-predict",
        description="Predict with a trained run: one prediction per input row.",
    )
    parser.add_argument("run", help="a run folder, its checkpoint folder, or its model.safetensors")
    parser.add_argument(
        "input",
        help="a csv, tsv or jsonl file with the task's text fields, or - for standard input",
    )
    parser.add_argument("--task", help="the task to predict (required if the run has several)")
    parser.add_argument("--output", "-o", help="a .jsonl or .csv file (default: jsonl on stdout)")
    parser.add_argument(
        "--batch-size", type=int, help="rows per batch (default: the run's eval batch size)"
    )
    return parser


def with_progress(predictions: Iterable[Prediction], total: int) -> Iterator[Prediction]:
    """A progress bar on stderr when it is a terminal; the predictions pass through."""
    if not sys.stderr.isatty():
        yield from predictions
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        bar = progress.add_task("predicting", total=total)
        for prediction in predictions:
            yield prediction
            progress.advance(bar)


def predict_command(args) -> int:
    fmt = output_format(args.output)
    if args.input != STDIN:
        file_format(args.input)
    if args.batch_size is not None and args.batch_size <= 0:
        raise ConfigError("--batch-size", args.batch_size, "an integer > 0")

    from hyperpeft.atomic import atomic_write
    from hyperpeft.predict.inputs import read_input
    from hyperpeft.predict.predictor import Predictor
    from hyperpeft.recipe import load_trained_run

    predictor = Predictor(load_trained_run(args.run), args.task)
    rows = read_input(args.input, predictor.task)
    predictions = with_progress(predictor.predict(rows, args.batch_size), len(rows))

    def write(handle: IO[str]) -> None:
        write_predictions(predictions, fmt, handle, predictor.class_names)

    if args.output is None:
        write(sys.stdout)
    else:
        atomic_write(args.output, lambda tmp: _write_file(tmp, write))
        print(f"{len(rows)} predictions written to {args.output}", file=sys.stderr)
    return 0


def _write_file(path, write) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        write(handle)


main = run_command(predict_command, build_parser())

if __name__ == "__main__":
    sys.exit(main())
