"""`hyperpeft-export RUN [--format safetensors|peft|merged] --output DIR`.

    hyperpeft-export outputs/runs/<lora run> --format peft --output exported/lora
    hyperpeft-export outputs/runs/<full run> --format merged --output exported/full

Prints what it wrote and how to load it. A format the run's method cannot be exported to is
one line `error: ...` and exit status 2.
"""

from __future__ import annotations

import sys

from hyperpeft.commandline import OneLineParser, run_command
from hyperpeft.export import FORMATS


def build_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="hyperpeft-export",
        description="Export a trained run: its own safetensors file, a peft adapter, or a "
        "merged transformers model.",
    )
    parser.add_argument("run", help="a run folder, its checkpoint folder, or its model.safetensors")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="default: peft for lora, merged where the method folds into the backbone, "
        "else safetensors",
    )
    parser.add_argument("--output", "-o", required=True, help="a new or empty folder")
    return parser


def export_command(args) -> int:
    from hyperpeft.export.exporter import export_run

    exported = export_run(args.run, args.format, args.output)
    print(f"{exported.format}: {exported.folder}")
    for path in exported.files:
        print(f"  {path.name}")
    for note in exported.notes:
        print(note)
    return 0


main = run_command(export_command, build_parser())

if __name__ == "__main__":
    sys.exit(main())
