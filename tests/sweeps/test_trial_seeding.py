"""With a seed, trial k's parameters depend on k alone, whichever worker asks for it."""

from __future__ import annotations

import optuna
from hydra.core.override_parser.overrides_parser import OverridesParser

from hydra_plugins.hyperpeft_optuna_sweeper._samplers import make_sampler
from hydra_plugins.hyperpeft_optuna_sweeper._search_space import SearchSpace

SPACE = SearchSpace.from_overrides(
    OverridesParser.create().parse_overrides(["a=interval(0.0,1.0)", "b=choice(1,2,4,8)"])
)


def ask_params(studies: list[optuna.Study], n: int) -> dict[int, dict]:
    """Ask n trials, taking turns between the studies (workers) sharing one storage."""
    asked = {}
    for i in range(n):
        study = studies[i % len(studies)]
        trial = study.ask(SPACE.distributions)
        study.tell(trial, trial.params["a"])
        asked[trial.number] = dict(trial.params)
    return asked


def worker(storage: optuna.storages.BaseStorage) -> optuna.Study:
    sampler = make_sampler("random", 3, {}, SPACE)
    return optuna.create_study(
        study_name="s", storage=storage, sampler=sampler, load_if_exists=True
    )


def test_two_workers_draw_what_one_worker_draws():
    alone = ask_params([worker(optuna.storages.InMemoryStorage())], 6)
    shared = optuna.storages.InMemoryStorage()
    together = ask_params([worker(shared), worker(shared)], 6)
    assert together == alone
    assert len({tuple(params.items()) for params in alone.values()}) == 6  # no repeats
