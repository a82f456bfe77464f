"""`hyperpeft-report DIR`: turn a run, multirun or sweep folder into `report.md` and a plot.

    hyperpeft-report outputs/multirun/2025-01-01_12-00-00
    hyperpeft-report outputs/multirun/... --study outputs/optuna/compacter_rank.db --out reports/
    hyperpeft-report outputs/multirun/... --wandb-project hyperpeft --entity my-team

Every results.json below DIR becomes a row (dry runs are listed without a score and left out of
the plot). With --study, the study's trials are summarised too, and the runs its trials wrote are
added wherever they live. With --wandb-project, the same runs become a W&B workspace
(publish.py): saved online, or written as JSON beside report.md offline.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from hyperpeft.errors import EXIT_BAD_INPUT, ConfigError, DataError
from hyperpeft.report.collect import collect, load_results
from hyperpeft.report.panels import Panel, front_runs
from hyperpeft.report.plot import write_plot
from hyperpeft.report.table import front_table, means_table, runs_table
from hyperpeft.report.task_table import task_table_markdown
from hyperpeft.results import RunResult

REPORT_FILE = "report.md"
PLOT_FILE = "score_vs_params.png"


@dataclass(frozen=True)
class Report:
    markdown: Path
    plot: Path
    rows: list[RunResult]
    front: list[RunResult]  # the runs behind the per-task fronts, task by task
    warnings: list[str]
    panels: list[Panel]

    @property
    def plotted(self) -> int:
        return len({id(run) for panel in self.panels for p in panel.points for run in p.runs})


def write_report(
    root: Path,
    out_dir: Path | None = None,
    study: str | None = None,
    study_name: str | None = None,
) -> Report:
    """Collect the runs below `root` (and the study's), write the markdown and the PNG."""
    rows, warnings = collect(root)
    study_obj = None
    if study is not None:
        from hyperpeft.report.study import load_study, trial_results

        study_obj = load_study(study, study_name)
        known = {row.run_dir for row in rows}
        extra = [p for p in trial_results(study_obj) if p.parent.resolve() not in known]
        more, more_warnings = load_results(extra)
        rows, warnings = rows + more, warnings + more_warnings
    if not rows and study_obj is None:
        raise DataError(
            f"no results.json below {root}: give the folder of a `hyperpeft` run, multirun or sweep"
        )
    out_dir = root if out_dir is None else out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    plot_path = out_dir / PLOT_FILE
    panels = write_plot(rows, plot_path)
    markdown = _markdown(root, rows, panels, plot_path, out_dir, study_obj)
    markdown_path = out_dir / REPORT_FILE
    markdown_path.write_text(markdown, encoding="utf-8")
    return Report(markdown_path, plot_path, rows, front_runs(panels), warnings, panels)


def _markdown(
    root: Path,
    rows: list[RunResult],
    panels: list[Panel],
    plot_path: Path,
    out_dir: Path,
    study: object | None,
) -> str:
    dry = sum(row.dry_run for row in rows)
    parts = [
        f"# hyperpeft report: {root}",
        "",
        f"{len(rows)} runs, of which {dry} dry (listed without a score, not plotted).",
        "",
        f"![test score against trainable parameters per task]({plot_path.relative_to(out_dir)})",
        "",
        "## Test score per task",
        "",
        task_table_markdown(rows),
        "",
        "## Pareto front per task (highest test score for fewest trainable parameters per task)",
        "",
        front_table(panels, root) if panels else "No trained run to compare.",
        "",
        "## Mean over seeds",
        "",
        means_table(rows),
        "",
        "## Runs",
        "",
        runs_table(rows, root),
        "",
    ]
    if study is not None:
        from hyperpeft.report.study import study_section

        parts += [study_section(study), ""]
    return "\n".join(parts)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hyperpeft-report",
        description="Table and plot of score against trainable parameters for a run folder.",
    )
    parser.add_argument("dir", type=Path, help="a run, multirun or sweep folder")
    parser.add_argument(
        "--study", help="Optuna storage: URL (sqlite:///x.db, journal:///x) or file"
    )
    parser.add_argument("--study-name", help="study in that storage (default: its only study)")
    parser.add_argument(
        "--out", type=Path, help="where to write report.md and the PNG (default: DIR)"
    )
    parser.add_argument(
        "--wandb-project", help="also build a W&B workspace of these runs in this project"
    )
    parser.add_argument("--entity", help="the W&B entity (user or team) of --wandb-project")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.entity and not args.wandb_project:
        parser.error("--entity needs --wandb-project")
    console = Console()
    errors = Console(stderr=True)
    try:
        report = write_report(args.dir, args.out, args.study, args.study_name)
        published = []
        if args.wandb_project:
            from hyperpeft.report.publish import publish_workspace

            out_dir = report.markdown.parent
            published = publish_workspace(
                report.rows, args.dir, out_dir, args.wandb_project, args.entity
            )
    except (ConfigError, DataError) as error:
        errors.print(f"hyperpeft-report: {error}", markup=False, highlight=False, soft_wrap=True)
        return EXIT_BAD_INPUT
    for warning in report.warnings:
        errors.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    fronts = sum(len(panel.front) for panel in report.panels)
    console.print(
        f"{len(report.rows)} runs, {report.plotted} plotted in {len(report.panels)} panels, "
        f"{fronts} points on their Pareto fronts"
    )
    console.print(f"Table: {report.markdown}", highlight=False, soft_wrap=True)
    console.print(f"Plot:  {report.plot}", highlight=False, soft_wrap=True)
    for line in published:
        console.print(line, highlight=False, soft_wrap=True, markup=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
