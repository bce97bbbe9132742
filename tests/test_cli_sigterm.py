"""SIGTERM unwinds a command even when it arrives while a finalizer (``__del__``) runs."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tagregistry.cli.main import _Terminated, _terminated_like_interrupted


class _SignalsInItsFinalizer:
    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)  # the handler runs here, inside __del__, where a raise would be dropped


def test_sigterm_in_a_finalizer_still_terminates_the_command() -> None:
    started = time.monotonic()
    with pytest.raises(_Terminated), _terminated_like_interrupted():
        _SignalsInItsFinalizer()  # collected at once: its finalizer sends the signal
        time.sleep(5)
    assert time.monotonic() - started < 3  # delivered again right after the finalizer
