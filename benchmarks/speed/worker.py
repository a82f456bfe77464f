"""One cell of one round in a fresh process: build, warm up, time the steps, read the peak memory.

    python -m benchmarks.speed.worker JOB.json      (ours: our Python; peers: the peers' Python)

A fresh process per cell and round keeps cells from sharing allocator state, caches or hooks,
and makes the peak resident set that cell's own: the interpreter, the libraries it imports,
the model, the optimizer state and the activations at the step's worst moment. FLOPs are
counted after the memory is read, so counting costs neither time nor memory in the figures.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import traceback
from pathlib import Path

import torch

from benchmarks.speed.batches import load_batches
from benchmarks.speed.cells import MACHINE, OURS, Cell
from benchmarks.speed.flops import count_flops
from benchmarks.speed.measure import current_rss_mb, fix_threads, peak_memory_mb
from benchmarks.speed.settings import Settings


def _environment(settings: Settings) -> dict:
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "machine": platform.machine(),
        "cpu": _cpu_name(),
        "cuda": torch.cuda.get_device_name() if settings.device.startswith("cuda") else None,
    }


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _gemm(settings: Settings, meta: dict) -> dict:
    from benchmarks.speed.gemm import measure_rate
    from benchmarks.speed.ours import compose
    from hyperpeft.backbones import load_backbone

    cfg = compose(settings, "lora", method_overrides=False)
    model = load_backbone(cfg.model, with_tokenizer=False).model
    tokens = max(rows * width for rows, width in meta["input_shapes"])
    rate = measure_rate(model, tokens, settings.precision, settings.device)
    # the peers' floor at their own precision (--peers-precision fp32 beside our bf16)
    rate["by_precision"] = {settings.precision: rate["gflops_per_s"]}
    if settings.peer_precision != settings.precision:
        peers = measure_rate(model, tokens, settings.peer_precision, settings.device)
        rate["by_precision"][settings.peer_precision] = peers["gflops_per_s"]
    return rate


def run_job(job: dict) -> dict:
    settings = Settings.from_json(job["settings"])
    cell = Cell(**{**job["cell"], "overrides": tuple(job["cell"]["overrides"])})
    fix_threads(settings.threads)
    batches, meta = load_batches(Path(job["batches"]))
    result: dict = {"cell": cell.name, "round": job["round"], "environment": {}}
    if cell.side == MACHINE:
        result["gemm"] = _gemm(settings, meta)
        result["environment"] = _environment(settings)
        return result
    if cell.side == OURS:
        from benchmarks.speed import ours as side
    else:
        from benchmarks.speed import peers as side  # type: ignore[no-redef]
    rss_imports = current_rss_mb()
    runner = side.build_runner(settings, cell, job["matched"], meta)
    rss_built = current_rss_mb()
    times = runner.train(batches)
    result.update(
        {
            "warmup_s": times[: settings.warmup],
            "step_s": times[settings.warmup :],
            "peak_memory_mb": peak_memory_mb(settings.device),
            "rss_after_imports_mb": rss_imports,
            "rss_after_build_mb": rss_built,
            "info": runner.info,
            "environment": _environment(settings),
        }
    )
    if job.get("count_flops"):
        result["flops"] = count_flops(lambda: runner.forward_backward(batches[0]))
    return result


def main() -> None:
    job_path = Path(sys.argv[1])
    job = json.loads(job_path.read_text())
    out = Path(job["out"])
    try:
        result = run_job(job)
    except Exception as err:  # recorded, so the run goes on and the report says what failed
        traceback.print_exc()
        result = {"cell": job["cell"]["name"], "round": job["round"], "error": repr(err)}
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1))
    os.replace(tmp, out)
    sys.exit(1 if "error" in result else 0)


if __name__ == "__main__":
    main()
