"""One run, top to bottom: build, prepare data, fit and test, record. Each step is a module here.

Everything a run produces lands in its folder (Hydra's output folder under the CLI):
`config.yaml` (composed), `results.json` (`hyperpeft.results.RunResult`),
`checkpoint/model.safetensors` (trained parameters only, with the config that rebuilds the run:
`load_trained_run`), `checkpoint/last.ckpt` (resumable) and the logger's files.
"""

from __future__ import annotations

import time
from pathlib import Path

from omegaconf import DictConfig

from hyperpeft.accounting import print_parameter_table
from hyperpeft.recipe.build import (
    build_module,
    build_parts,
    parameter_table,
    start_run,
    start_weights,
)
from hyperpeft.recipe.data import prepare_data
from hyperpeft.recipe.fit import fit_and_test
from hyperpeft.recipe.rebuild import TrainedRun, load_trained_run
from hyperpeft.recipe.record import dry_run_result, record, trained_result
from hyperpeft.results import RunResult

__all__ = ["RunResult", "TrainedRun", "load_trained_run", "run"]


def run(cfg: DictConfig, run_dir: Path) -> RunResult:
    """Train, evaluate and record one run; `result.objectives()` is what sweeps optimise."""
    started = time.perf_counter()
    metadata = start_run(cfg, run_dir)

    # 1. build the backbone, method and tasks (a dry run stops after the parameter table)
    parts = build_parts(cfg, dry_run=cfg.dry_run)
    # 2. prepare data; the module is handed its evaluation examples and regression label means
    data = None if cfg.dry_run else prepare_data(cfg, parts)
    module = build_module(
        cfg,
        parts,
        eval_examples=data.eval_examples if data else None,
        label_means=data.regression_label_means() if data else None,
    )
    start_weights(cfg, module, metadata)  # checkpoint= or init_from=
    params = parameter_table(module, metadata)
    print_parameter_table(params, cfg.method.name, cfg.model.name, len(parts.tasks))
    if data is None:
        return record(dry_run_result(cfg, params, metadata, started), run_dir)

    # 3. fit and test
    fitted = fit_and_test(cfg, module, data.datamodule, run_dir, metadata, started)

    # 4. record
    result = trained_result(cfg, params, metadata, module, data, fitted)
    return record(result, run_dir, fitted.logger, fitted.trainer.is_global_zero)
