"""Registry benchmark: register N tag versions, then time resolve, listing and ``--help``.

Run ``python -m benchmarks.bench_registry [--n 10000]``. Goals: resolving ``"Name"`` and
``"Name@v"`` under 1 ms (median), listing every version of 10,000 under 100 ms, and
``tagregistry --help`` under 0.5 s. Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tagregistry.registry import Registry
from tagregistry.specs import BaseModelRecord

NAME = "Bench"
HIDDEN = 64
N_VECTORS = 10


def median_ms(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median wall time and median CPU time of ``fn()`` in milliseconds."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def populate(registry: Registry, n: int) -> float:
    """Register ``n`` versions of one tag; returns the seconds it took."""
    base = BaseModelRecord(model_id="bench-base", hidden_size=HIDDEN, fingerprint="0" * 64)
    registry.register_base(base)
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(n):
        tensor = rng.standard_normal((N_VECTORS, HIDDEN), dtype=np.float32)
        registry.register(NAME, tensor, base=base, kind="domain")
    return time.perf_counter() - start


def help_ms(repeats: int) -> tuple[float, float]:
    """Median wall time of ``tagregistry --help`` in a fresh process (ms; CPU not measured)."""
    exe = Path(sys.executable).with_name("tagregistry")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "tagregistry.cli.main"]
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([*command, "--help"], check=True, capture_output=True)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="tag versions to register")
    parser.add_argument("--repeats", type=int, default=300, help="samples per resolve timing")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="tagregistry-bench-"))
    os.environ["TAGREGISTRY_HOME"] = str(workdir)
    try:
        registry = Registry(f"sqlite:///{workdir / 'bench.db'}")
        seconds = populate(registry, args.n)
        print(f"registered {args.n} versions in {seconds:.1f} s "
              f"({seconds / args.n * 1000:.2f} ms each)")
        versions = [random.randint(1, args.n) for _ in range(args.repeats)]
        pinned = iter(versions)
        registry.get(NAME)  # warm caches
        results = [
            ("resolve 'Name' (median)", 1.0, "ms",
             median_ms(lambda: registry.get(NAME), args.repeats)),
            ("resolve 'Name@v' (median)", 1.0, "ms",
             median_ms(lambda: registry.get(f"{NAME}@{next(pinned)}"), args.repeats)),
            (f"list all {args.n} versions (median)", 100.0, "ms",
             median_ms(lambda: registry.list(all_versions=True), 7)),
            ("versions(Name) (median)", 100.0, "ms",
             median_ms(lambda: registry.versions(NAME), 7)),
            ("tagregistry --help (median)", 500.0, "ms", help_ms(7)),
        ]
        registry.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    width = max(len(r[0]) for r in results)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"(wall-clock medians decide OK; CPU time shown for context; load average {load:.1f} "
          f"on {os.cpu_count()} CPUs)")
    print(f"{'measure':<{width}}  {'goal':>10}  {'wall':>11}  {'cpu':>11}  ok")
    failed = False
    for label, goal, unit, (wall, cpu) in results:
        ok = wall < goal
        failed |= not ok
        print(f"{label:<{width}}  {f'< {goal:g} {unit}':>10}  {f'{wall:.3f} {unit}':>11}  "
              f"{f'{cpu:.3f} {unit}':>11}  {'OK' if ok else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
