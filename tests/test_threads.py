"""The CPU thread policy applied when a base model is loaded onto the CPU."""

from __future__ import annotations

import pytest

from tagregistry.errors import InputError
from tagregistry.models import threads


@pytest.fixture
def no_thread_env(monkeypatch):
    for name in ("TAGREGISTRY_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)


def test_explicit_setting_wins(no_thread_env, monkeypatch):
    monkeypatch.setenv("TAGREGISTRY_NUM_THREADS", "3")
    assert threads.chosen_threads(current=8) == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert threads.chosen_threads(current=8) == 3


@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_bad_setting_is_a_clear_error(no_thread_env, monkeypatch, value):
    monkeypatch.setenv("TAGREGISTRY_NUM_THREADS", value)
    with pytest.raises(InputError, match="TAGREGISTRY_NUM_THREADS must be a positive integer"):
        threads.chosen_threads(current=2)


def test_standard_variables_are_left_to_torch(no_thread_env, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert threads.chosen_threads(current=2) is None


def test_idle_cores_never_below_one():
    assert threads.idle_cores(2, 0.0) == 2
    assert threads.idle_cores(2, 0.9) == 1
    assert threads.idle_cores(2, 7.5) == 1
    assert threads.idle_cores(16, 3.2) == 13


def test_default_only_lowers_the_count(no_thread_env):
    chosen = threads.chosen_threads(current=2)
    busy = threads.busy_cores_elsewhere()
    if busy is None:  # no /proc/stat: torch's own default stays
        assert chosen is None
    else:
        assert busy >= 0.0
        assert chosen in (1, 2)
        assert threads.chosen_threads(current=1) == 1
