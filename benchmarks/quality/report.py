"""The grid's tables and plots, by the project's report command on the grid's folder.

`hyperpeft-report` reads every results.json below the grid (ours and the peers', which share
RunResult's format) and writes report.md and its plot into `report/`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from benchmarks.quality.commands import HYPERPEFT

REPORT_COMMAND = HYPERPEFT.with_name("hyperpeft-report")
REPORT_DIR = "report"


def report_command(root: Path) -> list[str]:
    return [str(REPORT_COMMAND), str(root), "--out", str(Path(root) / REPORT_DIR)]


def write_report(root: Path) -> subprocess.CompletedProcess:
    """The report command's outcome (its output as text), run on the grid's folder."""
    return subprocess.run(report_command(root), capture_output=True, text=True, check=False)
