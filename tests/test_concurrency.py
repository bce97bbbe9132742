"""Concurrent writers: 4 processes x 50 registers of one tag into one database.

Each process opens the registry itself (so the first-open migration races too); every
version 1..200 must be handed out exactly once and no lock error may reach the caller.
"""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

PROCESSES = 4
PER_PROCESS = 50


def _writer(url: str, worker: int, start_at: float, queue) -> None:  # type: ignore[no-untyped-def]
    """Register PER_PROCESS versions; report ``(worker, versions)`` or ``(worker, error)``."""
    try:
        import numpy as np

        from tagregistry.registry import Registry
        from tagregistry.specs import BaseModelRecord

        base = BaseModelRecord(model_id="tiny-test", hidden_size=8, fingerprint="0" * 64)
        time.sleep(max(0.0, start_at - time.time()))  # start together
        versions = []
        with Registry(url) as reg:
            for i in range(PER_PROCESS):
                tensor = np.full((2, 8), worker * 1000 + i, np.float32)
                record = reg.register("QED", tensor, base=base, kind="function",
                                      source={"worker": worker, "i": i})
                versions.append(record.version)
        queue.put((worker, versions))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which fails the test
        queue.put((worker, f"{type(exc).__name__}: {exc}"))


def _hammer(url: str) -> None:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start_at = time.time() + 2.0  # after every interpreter has started and imported
    workers = [context.Process(target=_writer, args=(url, w, start_at, queue))
               for w in range(PROCESSES)]
    for proc in workers:
        proc.start()
    results = dict(queue.get(timeout=120) for _ in workers)
    for proc in workers:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    errors = {w: r for w, r in results.items() if isinstance(r, str)}
    assert not errors, f"writers failed: {errors}"

    handed_out = sorted(v for versions in results.values() for v in versions)
    assert handed_out == list(range(1, PROCESSES * PER_PROCESS + 1))
    for versions in results.values():
        assert versions == sorted(versions)  # each writer sees its own versions increase

    from tagregistry.registry import Registry

    with Registry(url) as reg:
        records = reg.versions("QED")
        assert [r.version for r in records] == list(range(1, PROCESSES * PER_PROCESS + 1))
        pairs = {(r.source["worker"], r.source["i"]) for r in records}
        assert len(pairs) == PROCESSES * PER_PROCESS  # nothing lost, nothing duplicated
        assert reg.get("QED").version == PROCESSES * PER_PROCESS


def test_concurrent_registers_sqlite(tmp_path: Path) -> None:
    _hammer(f"sqlite:///{tmp_path / 'shared.db'}")


@pytest.mark.postgres
def test_concurrent_registers_postgresql(pg_url: str) -> None:
    _hammer(pg_url)
