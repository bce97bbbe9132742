"""How many CPU threads torch uses for CPU training and inference.

Measured on a 2-core machine shared with other jobs (``benchmarks/bench_train_interleaved.py``,
results in ``benchmarks/results/bench_train_threads_cpu.txt``): when other processes already
keep the cores busy, two torch threads train several times *slower* than one, because each
parallel region waits for the thread the scheduler has parked. So the default never asks for
more threads than there are idle cores:

1. ``TAGREGISTRY_NUM_THREADS=n`` sets ``n`` threads;
2. else, if ``OMP_NUM_THREADS`` or ``MKL_NUM_THREADS`` is set, torch already follows it and
   nothing changes;
3. else the thread count is lowered (never raised) to the cores this process may use minus
   the cores other processes keep busy (sampled from ``/proc/stat`` over 0.1 s while this
   process waits; elsewhere nothing changes), and at least one.

It is applied when a base model is loaded onto the CPU; under rule 3 long work (training
steps, feature collection for a head refit) calls :func:`revisit_cpu_threads` now and then,
so a run started while another job was busy gets its cores back when that job ends.
"""

from __future__ import annotations

import logging
import os
import time

from tagregistry.errors import InputError

THREADS_ENV = "TAGREGISTRY_NUM_THREADS"
_STANDARD_ENVS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
_applied = False
_ceiling: int | None = None  # torch's own count, when rule 3 (sampling) chose the threads
_chosen: int | None = None  # the count the policy last set (other code may set its own)
logger = logging.getLogger(__name__)


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS reports it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def idle_cores(cores: int, busy_elsewhere: float) -> int:
    """``cores`` minus the (rounded) cores other processes keep busy, at least one."""
    return max(1, min(cores, cores - round(busy_elsewhere)))


def _cpu_times() -> tuple[int, int] | None:
    """``(busy, total)`` jiffies over all CPUs from ``/proc/stat`` (``None`` elsewhere)."""
    try:
        with open("/proc/stat") as handle:
            fields = [int(x) for x in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already inside user time
    return total - idle, total


def busy_cores_elsewhere(interval: float = 0.1) -> float | None:
    """Cores kept busy by other processes, sampled over ``interval`` seconds while this one
    sleeps (``None`` where ``/proc/stat`` is missing)."""
    first, own = _cpu_times(), time.process_time()
    if first is None:
        return None
    time.sleep(interval)
    second, own = _cpu_times(), time.process_time() - own
    if second is None or second[1] == first[1]:
        return None
    busy = (second[0] - first[0]) / (second[1] - first[1]) * (os.cpu_count() or 1)
    return max(0.0, busy - own / interval)


def chosen_threads(current: int) -> int | None:
    """The thread count the policy asks for, or ``None`` to leave torch as it is."""
    explicit = os.environ.get(THREADS_ENV)
    if explicit:
        try:
            value = int(explicit)
        except ValueError:
            value = 0
        if value < 1:
            raise InputError(f"{THREADS_ENV} must be a positive integer, got {explicit!r}")
        return value
    if any(os.environ.get(name) for name in _STANDARD_ENVS):
        return None
    return _idle_threads(current)


def _idle_threads(ceiling: int) -> int | None:
    """Rule 3: the idle cores, at most ``ceiling`` (``None`` where they cannot be sampled)."""
    busy = busy_cores_elsewhere()
    if busy is None:
        return None
    return min(ceiling, idle_cores(usable_cores(), busy))


def configure_cpu_threads() -> int:
    """Apply the policy (once per process); returns torch's thread count afterwards."""
    global _applied, _ceiling, _chosen
    import torch

    if not _applied:
        _applied = True
        before = torch.get_num_threads()
        wanted = chosen_threads(before)
        sampled = not any(os.environ.get(name) for name in (THREADS_ENV, *_STANDARD_ENVS))
        _ceiling = before if sampled else None
        if wanted is not None and wanted != torch.get_num_threads():
            logger.info("using %d torch CPU thread(s) (set %s to choose)", wanted, THREADS_ENV)
            torch.set_num_threads(wanted)
        _chosen = torch.get_num_threads()
    return torch.get_num_threads()


def revisit_cpu_threads() -> int | None:
    """Sample the idle cores again under rule 3 and follow them (up to torch's own count);
    ``None`` (nothing done) when the threads were set explicitly, by an environment variable
    or by other code calling ``torch.set_num_threads``, or never configured."""
    global _chosen
    import torch

    if _ceiling is None or torch.get_num_threads() != _chosen:
        return None
    wanted = _idle_threads(_ceiling)
    if wanted is None:
        return None
    if wanted != torch.get_num_threads():
        logger.info("now using %d torch CPU thread(s) (set %s to choose)", wanted, THREADS_ENV)
        torch.set_num_threads(wanted)
    _chosen = wanted
    return wanted
