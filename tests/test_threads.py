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


def test_a_sampled_count_is_revisited_up_to_torchs_own(no_thread_env, monkeypatch):
    import torch

    before = torch.get_num_threads()
    monkeypatch.setattr(threads, "_applied", False)
    monkeypatch.setattr(threads, "_ceiling", None)
    monkeypatch.setattr(threads, "busy_cores_elsewhere", lambda: 99.0)  # every core busy
    monkeypatch.setattr(threads, "usable_cores", lambda: 4)
    try:
        assert threads.configure_cpu_threads() == 1
        monkeypatch.setattr(threads, "busy_cores_elsewhere", lambda: 0.0)  # the other job ended
        assert threads.revisit_cpu_threads() == min(before, 4) == torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


def test_an_explicit_count_is_never_revisited(no_thread_env, monkeypatch):
    monkeypatch.setenv("TAGREGISTRY_NUM_THREADS", "1")
    monkeypatch.setattr(threads, "_applied", False)
    monkeypatch.setattr(threads, "_ceiling", None)
    import torch

    before = torch.get_num_threads()
    try:
        threads.configure_cpu_threads()
        assert threads.revisit_cpu_threads() is None
    finally:
        torch.set_num_threads(before)


def test_a_count_other_code_set_is_left_alone(no_thread_env, monkeypatch):
    import torch

    before = torch.get_num_threads()
    monkeypatch.setattr(threads, "_applied", False)
    monkeypatch.setattr(threads, "busy_cores_elsewhere", lambda: 99.0)
    try:
        chosen = threads.configure_cpu_threads()
        torch.set_num_threads(chosen + 1)  # e.g. a test fixture or the user's own script
        monkeypatch.setattr(threads, "busy_cores_elsewhere", lambda: 0.0)
        assert threads.revisit_cpu_threads() is None
    finally:
        torch.set_num_threads(before)
