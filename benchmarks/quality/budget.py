"""The training budget every cell of the quality grid gets: batch, tokens, steps, evaluations.

One budget for every method, so a score difference is the method's, not its schedule's. A
mixture cell trains `steps` per task of the mixture (with the near-uniform sampling of T=10 each
task sees about as many batches as in its own cell). Evaluation happens `evaluations` times per
run, at an interval that divides the run's steps, so the last evaluation is at the last step on
both sides (Lightning's `val_check_interval`, and the peers' loop).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    batch_size: int = 16
    max_length: int = 128
    steps: int = 300  # per task of the cell
    evaluations: int = 6  # model selections per run (300 steps: every 50)

    def __post_init__(self) -> None:
        for key in ("batch_size", "max_length", "steps", "evaluations"):
            if getattr(self, key) <= 0:
                raise ValueError(f"--{key.replace('_', '-')} {getattr(self, key)}: an integer > 0")

    def steps_for(self, num_tasks: int) -> int:
        return self.steps * max(num_tasks, 1)

    def eval_every(self, steps: int) -> int:
        return eval_interval(steps, self.evaluations)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def eval_interval(steps: int, evaluations: int) -> int:
    """The divisor of `steps` closest to `steps / evaluations` (the larger one on a tie)."""
    target = steps / evaluations
    divisors = [d for d in range(1, steps + 1) if steps % d == 0]
    return min(divisors, key=lambda d: (abs(d - target), -d))
