"""The main job (``tagregistry demo``, run by ``make demo``): shipped tags on the default base.

1. loads the default base (converted once into the per-user model cache, then read back);
2. installs the tag packs that plugins ship for it (verified first; installing twice adds
   nothing);
3. for every function tag in those packs whose spec names a dataset (see
   :mod:`tagregistry.evaluations`), predicts held-out records, prints them next to the labels
   and a predict-the-training-mean baseline, and writes a predicted-vs-true scatter PNG;
4. runs the functions of a pack that share their inputs on one record with ``predict_many``.

Nothing here knows a domain: a plugin joins the demo by shipping a pack for the default base
and naming a dataset in its function specs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SHOWN_ROWS = 10
#: held-out records per function unless its dataset spec asks for more (``demo_records``)
DEFAULT_RECORDS = 96


def _say(message: str) -> None:
    print(message, flush=True)


def _fmt_metrics(metrics: dict[str, float]) -> str:
    shown = {k: v for k, v in metrics.items() if k.startswith("test_")}
    return ", ".join(f"{k}={v:.4g}" for k, v in shown.items()) or "-"


def install_packs(registry: Any, base_name: str) -> list[str]:
    """Install every pack shipped for ``base_name``; return their names."""
    names = sorted(n for n, p in registry.catalog.packs.items() if p.base == base_name)
    for name in names:
        owner = registry.catalog.owner("packs", name).distribution
        _say(f"installing the tag pack {name!r} shipped by {owner} (verified first)")
        for record in registry.install_pack(name):
            _say(f"  {record.ref:<12} {record.kind:<8} metrics {_fmt_metrics(record.metrics)}")
    return names


def _cell(value: Any, width: int) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def print_result(result: Any, plot: Path | None) -> None:
    """The table of one evaluation: a few rows, then the scores."""
    n = len(result.truth)
    _say(f"\n{result.label} on {n} held-out records ({n / result.seconds:.1f} records/s)")
    for record, value, true in list(zip(result.records, result.predicted, result.truth,
                                        strict=True))[:SHOWN_ROWS]:
        inputs = "  ".join(_cell(v, 46 // len(record)) for v in record.values())
        _say(f"  {inputs:<46} predicted {value:9.3f}   true {true:9.3f}")
    stats = result.stats
    _say(f"  MSE {stats['mse']:.4g}   (predicting the training mean: {stats['baseline_mse']:.4g})"
         f"   Pearson r {stats['pearson']:.3f}")
    if plot is not None:
        _say(f"  plot: {plot}")


def print_summary(results: Sequence[Any], plots: dict[str, Path]) -> None:
    """One line per evaluated function."""
    from tagregistry.cli.output import print_table

    rows = [{"tags": r.label, "n": len(r.truth), "mse": r.stats["mse"],
             "mean_mse": r.stats["baseline_mse"], "pearson": r.stats["pearson"],
             "plot": str(plots.get(r.evaluation.function, "-"))} for r in results]
    _say("")
    print_table(rows, ["tags", "n", "mse", "mean_mse", "pearson", "plot"])


def shared_inputs(registry: Any, loaded: Any, results: Sequence[Any]) -> None:
    """``predict_many`` over the functions of a pack that take the same inputs."""
    groups: dict[tuple[str, tuple[str, ...]], list[Any]] = {}
    for result in results:
        key = (result.evaluation.pack, result.evaluation.domains)
        groups.setdefault(key, []).append(result)
    for (_, domains), members in groups.items():
        if len(members) < 2:
            continue
        functions = [m.evaluation.function for m in members]
        model = registry.compose(*domains, *functions, base=loaded)
        record = members[0].records[0]
        many = model.predict_many(functions, **record)
        shown = ", ".join(f"{k}={float(v[0] if isinstance(v, list) else v):.3f}" for k, v in many.items())
        _say(f"\npredict_many on {_cell(', '.join(map(str, record.values())), 60)} "
             f"(one shared prefix pass): {shown}")


def run_demo(records: int | None, functions: Sequence[str] | None, output_dir: Path | None,
             plots: bool = True, db: str | None = None, base: str | None = None) -> int:
    """The whole demo on the registry ``db`` (default: the user's); returns the exit code.

    ``records`` held-out records are scored per function (default: the dataset spec's
    ``demo_records``, else :data:`DEFAULT_RECORDS`). ``base`` is the named base whose shipped
    packs are evaluated (default: the default base).
    """
    from tagregistry import evaluations
    from tagregistry.models.loading import DEFAULT_BASE, load_base
    from tagregistry.registry import Registry

    registry = Registry(db)
    _say(f"registry: {registry.url}")
    base_name = base or DEFAULT_BASE
    loaded = load_base(base_name)
    registry.register_base(loaded.record)
    _say(f"base model: {loaded.record}")
    if not install_packs(registry, base_name):
        _say(f"no installed plugin ships a tag pack for {base_name}: install one "
             "(pip install -e plugins/tagregistry-chem) or train tags (docs/tutorials)")
        return 1
    found = evaluations.discover(registry.catalog, base_name, functions)
    if not found:
        _say("the shipped packs hold no function tag with a dataset to evaluate")
        return 1
    folder = (output_dir or _default_output()).resolve()
    results, written = [], {}
    for evaluation in found:
        spec = registry.catalog.datasets[evaluation.dataset]
        result = evaluations.run(registry, loaded, evaluation,
                                 records or spec.demo_records or DEFAULT_RECORDS)
        plot = None
        if plots:
            from tagregistry.plots import scatter_png

            plot = scatter_png(result, folder / f"{evaluation.function}.png", loaded.record.model_id)
            written[evaluation.function] = plot
        print_result(result, plot)
        results.append(result)
    shared_inputs(registry, loaded, results)
    print_summary(results, written)
    return 0


def _default_output() -> Path:
    from tagregistry.store.engine import registry_home

    return registry_home() / "demo"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The demo's options (shared by ``tagregistry demo`` and ``python -m tagregistry.demo``)."""
    parser.add_argument("-n", "--records", "--molecules", dest="records", type=int, default=None,
                        metavar="N", help=f"held-out records per function (default {DEFAULT_RECORDS}, "
                        "or what the function's dataset asks for)")
    parser.add_argument("--functions", nargs="+", metavar="NAME",
                        help="evaluate only these function tags (default: all shipped)")
    parser.add_argument("--output-dir", type=Path, metavar="DIR",
                        help="where the PNG plots go (default: $TAGREGISTRY_HOME/demo)")
    parser.add_argument("--no-plots", action="store_true", help="print the tables only")
    parser.add_argument("--base", metavar="NAME",
                        help="named base whose shipped packs to evaluate (default: smollm2-135m)")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tagregistry.demo``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m tagregistry.demo", description=__doc__.split("\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    from tagregistry.errors import TagRegistryError

    try:
        return run_demo(args.records, args.functions, args.output_dir, not args.no_plots,
                        base=args.base)
    except TagRegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
