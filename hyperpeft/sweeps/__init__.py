"""What a training job needs to take part in an Optuna sweep run by our Hydra sweeper.

The Lightning callback lives in `hyperpeft.sweeps.callback` (it imports Lightning); the rest is
light enough for any process: storage URLs, pruners and reattaching to a trial.
"""

from hyperpeft.sweeps.pruners import make_pruner
from hyperpeft.sweeps.storage import open_storage, resolve_storage
from hyperpeft.sweeps.trial import TrialRef, report_and_maybe_prune, trial_from_config

__all__ = [
    "TrialRef",
    "make_pruner",
    "open_storage",
    "report_and_maybe_prune",
    "resolve_storage",
    "trial_from_config",
]
