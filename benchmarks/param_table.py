"""The README's table of methods: trainable parameters as a % of the backbone, by the papers'
conventions, for each method on T5-base (built from its config, no download) and on minilm.

    python benchmarks/param_table.py                      # T5-base, 1 task and the 8 GLUE tasks; minilm
    python benchmarks/param_table.py --models minilm

It builds every model and method through the same code as `hyperpeft dry_run=true`.
"""

from __future__ import annotations

import argparse

import transformers

from hyperpeft.config import compose_config
from hyperpeft.methods import METHOD_NAMES
from hyperpeft.recipe.build import build_module, build_parts, parameter_table, run_metadata

METHODS = [name for name in METHOD_NAMES if name != "full"] + ["full"]
SETTINGS = {
    "t5-base": ["model=t5-base", "model.pretrained=false"],
    "minilm": ["model=minilm"],
}


def measure(model: str, method: str, task: str) -> dict:
    overrides = [*SETTINGS[model], f"method={method}", f"task={task}"]
    cfg = compose_config(overrides)
    module = build_module(cfg, build_parts(cfg, dry_run=True))
    return parameter_table(module, run_metadata(cfg))


def main() -> None:
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--methods", nargs="+", default=METHODS)
    args = parser.parse_args()
    print(
        "| model | method | trainable % (1 task) | per task % (8 GLUE tasks) | checkpoint KB (1 task) |"
    )
    print("|---|---|---:|---:|---:|")
    for model in args.models:
        for method in args.methods:
            single = measure(model, method, "rte")
            mixture = measure(model, method, "glue")
            print(
                f"| {model} | {method} | {single['trainable_pct']:.3f} | "
                f"{mixture['per_task_pct']:.3f} | {single['checkpoint_bytes'] / 1024:,.0f} |"
            )


if __name__ == "__main__":
    main()
