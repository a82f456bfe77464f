"""The sweeper's signal handling: a Ctrl-C or SIGTERM that the job's code swallowed is raised
again at the sweep's next safe point, and the previous handlers come back afterwards."""

from __future__ import annotations

import os
import signal
import time

import pytest

from hydra_plugins.hyperpeft_optuna_sweeper._interrupts import Interrupts


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_swallowed_signal_is_raised_again_by_check(signum):
    with Interrupts() as interrupts:
        interrupts.check()  # nothing received yet
        try:
            os.kill(os.getpid(), signum)
            time.sleep(5)  # interrupted at once by the handler
        except KeyboardInterrupt:
            pass  # as Python does inside a garbage collector's callback
        with pytest.raises(KeyboardInterrupt, match=signal.Signals(signum).name):
            interrupts.check()


def test_the_previous_handlers_are_restored():
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    with Interrupts():
        assert signal.getsignal(signal.SIGTERM) is not before[signal.SIGTERM]
    assert {signum: signal.getsignal(signum) for signum in before} == before
