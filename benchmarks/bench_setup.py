"""Shared set-up for the inference benchmarks: a temporary registry with random tags.

A benchmark plugin declares one domain (``BenchMol``) and four regression functions, so no
trained tags are needed; tags are random with the spread of the base's embeddings (p = 10,
as in the paper). Timing helpers run variants alternately so machine load hits all alike.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import torch

from tagregistry.plugins.hookspecs import hookimpl
from tagregistry.plugins.manager import Catalog
from tagregistry.registry import Registry
from tagregistry.specs import DomainSpec, FunctionSpec, HeadSpec, SlotSpec
from tagregistry.store.tag_store import HeadPayload

P = 10
FUNCTIONS = ["BenchQED", "BenchLogP", "BenchTPSA", "BenchWeight"]
SMILES = ["CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O", "CN1C=NC2=C1C(=O)N(C(=O)N2C)C",
          "CC(C)Cc1ccc(cc1)C(C)C(=O)O", "O=C(O)c1ccccc1O", "CCN(CC)CC", "C1CCCCC1"]


@hookimpl(specname="tagregistry_domains")
def _domains() -> list[DomainSpec]:
    return [DomainSpec(name="BenchMol", tokenizer="plain", family="molecule")]


@hookimpl(specname="tagregistry_functions")
def _functions() -> list[FunctionSpec]:
    slot = [SlotSpec(name="smiles", domains=["BenchMol"])]
    return [FunctionSpec(name=name, slots=slot, head=HeadSpec(type="regression"),
                         template=f"The SMILES of the molecule is {{BenchMol:smiles}}. "
                                  f"Its {name[5:]} is {{{name}}}")
            for name in FUNCTIONS]


PLUGIN = SimpleNamespace(tagregistry_domains=_domains, tagregistry_functions=_functions)


def add_run_arguments(parser: Any, repeats: int) -> None:
    """The options every inference benchmark takes: repeats, tiny base, device, clock, JSON."""
    parser.add_argument("--repeats", type=int, default=repeats)
    parser.add_argument("--tiny", action="store_true", help="2-layer random Llama (quick check)")
    parser.add_argument("--device", default=None)
    parser.add_argument("--clock", choices=("wall", "cpu"), default=None,
                        help="default: process CPU time for 1-thread CPU runs, else wall time")
    parser.add_argument("--json", help="also write the results here")


def chosen_base(args: Any) -> Any:
    """A tiny random Llama with ``--tiny``, else ``None`` (the default base)."""
    if not args.tiny:
        return None
    from tagregistry.testing import tiny_base

    return tiny_base("llama", hidden_size=64)


def bench_catalog() -> Catalog:
    """The process catalog plus the benchmark plugin."""
    return Catalog(extra=[("bench", PLUGIN)])


@contextmanager
def bench_model(base: Any = None, device: str | None = None,
                dtype: Any = None) -> Iterator[tuple[Any, Any]]:
    """``(TaggedModel with BenchMol + the four functions, LoadedBase)`` in a temporary registry.

    ``base``: a :class:`LoadedBase` (default: ``load_base()``, the embedded default base).
    """
    from tagregistry.heads import RegressionHead
    from tagregistry.models.loading import load_base

    catalog = bench_catalog()
    if base is None:
        base = load_base(catalog=catalog, device=device, dtype=dtype)
    hidden = base.hidden_size
    scale = float(base.model.get_input_embeddings().weight.float().std())
    generator = torch.Generator().manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        registry = Registry(f"sqlite:///{tmp}/bench.db")
        try:
            registry.register_base(base.record)
            registry.register("BenchMol", torch.randn(P, hidden, generator=generator) * scale,
                              base=base.record, kind="domain")
            for name in FUNCTIONS:
                head = RegressionHead(hidden, HeadSpec(type="regression"))
                registry.register(name, torch.randn(P, hidden, generator=generator) * scale,
                                  base=base.record, kind="function",
                                  head=HeadPayload(spec=head.spec, tensors=head.state_dict()))
            yield registry.compose("BenchMol", *FUNCTIONS, base=base, catalog=catalog), base
        finally:
            registry.close()


def synchronize() -> None:
    """Wait for queued GPU work (timings must include it)."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def timed(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``fn`` over ``repeats`` runs after one warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        synchronize()
        start = time.perf_counter()
        fn()
        synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def default_clock(device: Any) -> str:
    """``"cpu"`` (process CPU time) for single-threaded CPU runs, else ``"wall"``.

    On a shared CPU the scheduler takes the core away for tens of milliseconds at a time;
    with one thread, process CPU time counts only the work done, so ratios stay honest.
    GPU work is not in the process CPU time, so GPU runs use wall time.
    """
    return "cpu" if str(device).startswith("cpu") and torch.get_num_threads() == 1 else "wall"


def interleaved(fns: dict[str, Callable[[], object]], repeats: int,
                clock: str = "wall") -> dict[str, list[float]]:
    """Seconds per call of several functions over ``repeats`` rounds, run alternately after
    one warm-up each; ``clock`` is ``"wall"`` or ``"cpu"`` (see :func:`default_clock`)."""
    now = time.process_time if clock == "cpu" else time.perf_counter
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            synchronize()
            start = now()
            fn()
            synchronize()
            times[name].append(now() - start)
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> float:
    """Relative spread of timings: (max - min) / median."""
    return (max(values) - min(values)) / statistics.median(values)
