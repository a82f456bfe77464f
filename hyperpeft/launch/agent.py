"""torchrun for the ranks of one job: `python -m hyperpeft.launch.agent <torchrun arguments>`.

torchrun's own `run`, without its `main`'s report: when a rank fails, torchrun prints a
traceback of its own and a table of every rank, on top of the job's error, which the ranks hand
back themselves (hyperpeft.launch.rank) and the job raises in one line or records in its trial.
Here a failure is one line per rank that did not finish.
"""

from __future__ import annotations

import sys

from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
from torch.distributed.run import parse_args, run


def main(argv: list[str]) -> int:
    try:
        run(parse_args(argv))
    except ChildFailedError as failed:
        for rank, failure in sorted(failed.failures.items()):
            how = (
                f"was stopped by {failure.signal_name()}"
                if failure.exitcode < 0
                else f"exited with status {failure.exitcode}"
            )
            print(f"{failed.name}: rank {rank} {how}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
