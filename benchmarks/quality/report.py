"""The grid's tables and plots, by the project's report command on the grid's folder.

`hyperpeft-report` reads every results.json below the kept folder or the grid's (ours and the
peers', which share RunResult's format) and writes report.md and its plot into the grid's
`report/`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from benchmarks.quality.commands import HYPERPEFT

REPORT_COMMAND = HYPERPEFT.with_name("hyperpeft-report")
REPORT_DIR = "report"


def report_command(source: Path, root: Path) -> list[str]:
    return [str(REPORT_COMMAND), str(source), "--out", str(Path(root) / REPORT_DIR)]


def write_report(source: Path, root: Path) -> subprocess.CompletedProcess:
    """The report command's outcome (its output as text): the runs below `source`, the report
    into the grid folder `root`."""
    command = report_command(source, root)
    return subprocess.run(command, capture_output=True, text=True, check=False)
