"""The main job (``tagregistry demo``, run by ``make demo``): shipped tags on the default base.

1. loads the default base (converted once into the per-user model cache, then read back);
2. installs the tag packs that plugins ship for it (verified first; installing twice adds
   nothing);
3. for every regression or two-class function tag in those packs whose spec names a dataset
   (see :mod:`tagregistry.demo.samples`), predicts a fixed sample of held-out records (the
   first ``demo_records`` of the test split), prints them next to the labels and to predicting
   the training mean, beside the whole test split's numbers on the Results page (the tag and
   its strongest baseline, from the pack's ``results`` file), and writes a PNG plot;
4. runs the functions of a pack that share their inputs on one record with ``predict_many``.

Samples are sized so the whole demo takes under two minutes on a 2-core CPU; scoring whole
test splits against fitted baselines is ``tagregistry evaluate``'s job. Nothing here knows a
domain: a plugin joins the demo by shipping a pack for the default base and naming a dataset
in its function specs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tagregistry.demo.published import PublishedResult, published_results

SHOWN_ROWS = 5
#: held-out records per function unless its dataset spec asks for others (``demo_records``)
DEFAULT_RECORDS = 24
#: records per forward pass: a long protein padded beside short ones costs far more than the
#: few extra passes (8 KIBA pairs: 20 s of CPU at 2 against 32 s at 16; 24 molecules: even)
BATCH_SIZE = 2
#: metric key -> how it is printed
METRIC_NAMES = {"mse": "MSE", "roc_auc": "ROC-AUC", "accuracy": "accuracy", "pearson": "Pearson r"}


def _say(message: str) -> None:
    print(message, flush=True)


def _fmt_metrics(metrics: dict[str, float]) -> str:
    shown = {k: v for k, v in metrics.items() if k.startswith("test_")}
    return ", ".join(f"{k}={v:.4g}" for k, v in shown.items()) or "-"


def install_packs(registry: Any, base_name: str) -> list[Any]:
    """Install every pack shipped for ``base_name``; return the tags' records."""
    names = sorted(n for n, p in registry.catalog.packs.items() if p.base == base_name)
    records = []
    for name in names:
        owner = registry.catalog.owner("packs", name).distribution
        _say(f"installing the tag pack {name!r} shipped by {owner} (verified first)")
        for record in registry.install_pack(name):
            _say(f"  {record.ref:<17} {record.kind:<8} metrics {_fmt_metrics(record.metrics)}")
            records.append(record)
    return records


def _num(value: float) -> str:
    """Four significant digits; an exact zero from float rounding (1e-31) reads as 0."""
    return "0" if abs(value) < 1e-12 else f"{value:.4g}"


def _cell(value: Any, width: int) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def headline(result: Any) -> list[tuple[str, float, str, float]]:
    """``(metric, on the sample, baseline, the baseline on the sample)`` rows of one result:
    predicting the training mean (two classes: the majority class; a constant score's
    ROC-AUC is 0.5, it ranks nothing)."""
    stats = result.stats
    if result.classification:
        return [("roc_auc", stats["roc_auc"], "constant", 0.5),
                ("accuracy", stats["accuracy"], "majority class", stats["baseline_accuracy"])]
    return [("mse", stats["mse"], "training mean", stats["baseline_mse"])]


def _row_text(result: Any, record: dict[str, Any], value: float, true: float) -> str:
    inputs = "  ".join(_cell(v, 46 // len(record)) for v in record.values())
    if not result.classification:
        return f"  {inputs:<46} predicted {value:9.3f}   true {true:9.3f}"
    negative, positive = result.classes
    guess, label = (positive if value > 0.5 else negative), (positive if true > 0.5 else negative)
    return f"  {inputs:<46} P({positive}) {value:5.3f}   predicted {guess:<8} true {label}"


def _published_text(rows: Sequence[PublishedResult]) -> str:
    first = rows[0].task
    parts = []
    for row in (r for r in rows if r.task == first):
        name = METRIC_NAMES.get(row.metric, row.metric)
        mean = "" if row.training_mean is None else f", training mean {_num(row.training_mean)}"
        parts.append(f"{name} {_num(row.tag)} (strongest baseline: {row.strongest} "
                     f"{_num(row.strongest_value)}{mean})")
    return f"  Results page, {first} test split ({rows[0].n:,} records): " + "; ".join(parts)


def print_result(result: Any, published: Sequence[PublishedResult], plot: Path | None) -> None:
    """The table of one sample: a few rows, its scores, the Results page's, the plot."""
    n = len(result.truth)
    _say(f"\n{result.label}: {n} held-out records of {result.source} "
         f"({n / result.seconds:.1f} records/s)")
    for record, value, true in list(zip(result.records, result.predicted, result.truth,
                                        strict=True))[:SHOWN_ROWS]:
        _say(_row_text(result, record, value, true))
    scored = [f"{METRIC_NAMES[m]} {v:.4g} ({name}: {base:.4g})" for m, v, name, base in headline(result)]
    if not result.classification:
        scored.append(f"Pearson r {result.stats['pearson']:.3f}")
    _say("  this sample: " + ", ".join(scored))
    if published:
        _say(_published_text(published))
    if plot is not None:
        _say(f"  plot: {plot}")


def print_summary(results: Sequence[Any], published: dict[str, list[PublishedResult]],
                  plots: dict[str, Path]) -> None:
    """One line per function and metric: the sample beside the Results page."""
    from tagregistry.terminal import print_table

    rows = []
    for result in results:
        function = result.evaluation.function
        for metric, value, _, baseline in headline(result):
            page = next((r for r in published.get(function, []) if r.metric == metric), None)
            rows.append({
                "function": f"<{function}>", "n": len(result.truth), "metric": METRIC_NAMES[metric],
                "tag": f"{value:.4g}", "baseline": f"{baseline:.4g}",
                "page_tag": _num(page.tag) if page else "-",
                "page_best_baseline": f"{_num(page.strongest_value)} {page.strongest}" if page else "-",
                "plot": plots[function].name if function in plots else "-",
            })
    _say("\nOn the sample: the tag and the baseline (the training mean; two classes: a constant "
         "score, the majority class). On the whole test split (page_*): the Results page")
    print_table(rows, ["function", "n", "metric", "tag", "baseline", "page_tag", "page_best_baseline",
                       "plot"])
    if plots:
        _say(f"plots in {next(iter(plots.values())).parent}")


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
        shown = ", ".join(f"{k}={_value_text(v)}" for k, v in many.items())
        _say(f"\npredict_many on {_cell(', '.join(map(str, record.values())), 60)} "
             f"(one shared prefix pass): {shown}")


def _value_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        value = value[0]
    return f"{value:.3f}" if isinstance(value, float | int) else str(value)


def run_demo(records: int | None, functions: Sequence[str] | None, output_dir: Path | None,
             plots: bool = True, db: str | None = None, base: str | None = None,
             dtype: str | None = None) -> int:
    """The whole demo on the registry ``db`` (default: the user's); returns the exit code.

    ``records`` held-out records are scored per function (default: the dataset spec's
    ``demo_records``, else :data:`DEFAULT_RECORDS`). ``base`` is the named base whose shipped
    packs are evaluated (default: the default base). ``dtype``: the base's (default: as
    ``compose`` picks it for the shipped tags: float32 for tags trained on a float32 base).
    """
    from tagregistry.demo import samples
    from tagregistry.models.loading import DEFAULT_BASE, load_base
    from tagregistry.models.precision import is_automatic, settle_dtype
    from tagregistry.registry import Registry

    registry = Registry(db)
    _say(f"registry: {registry.url}")
    base_name = base or DEFAULT_BASE
    automatic = is_automatic(dtype)
    loaded = load_base(base_name, dtype="float32" if automatic else dtype)
    registry.register_base(loaded.record)
    _say(f"base model: {loaded.record}")
    installed = install_packs(registry, base_name)
    reason = settle_dtype(loaded, installed, automatic)
    _say(f"base dtype: {reason}")
    if not installed:
        _say(f"no installed plugin ships a tag pack for {base_name}: install one "
             "(pip install -e plugins/tagregistry-chem) or train tags (docs/tutorials)")
        return 1
    found = samples.discover(registry.catalog, base_name, functions)
    if not found:
        _say("the shipped packs hold no function tag with a dataset to evaluate")
        return 1
    folder = (output_dir or _default_output()).resolve()
    published: dict[str, list[PublishedResult]] = {}
    for pack in registry.catalog.packs.values():
        if pack.base == base_name:
            published.update(published_results(pack))
    results, written = [], {}
    for evaluation in found:
        spec = registry.catalog.datasets[evaluation.dataset]
        result = samples.run(registry, loaded, evaluation,
                                 records or spec.demo_records or DEFAULT_RECORDS, BATCH_SIZE)
        plot = None
        if plots:
            from tagregistry.demo.plots import result_png

            plot = result_png(result, folder / f"{evaluation.function}.png", loaded.record.model_id)
            written[evaluation.function] = plot
        print_result(result, published.get(evaluation.function, []), plot)
        results.append(result)
    shared_inputs(registry, loaded, results)
    print_summary(results, published, written)
    return 0


def _default_output() -> Path:
    from tagregistry.store.engine import registry_home

    return registry_home() / "demo"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The demo's options (shared by ``tagregistry demo`` and ``python -m tagregistry.demo``)."""
    parser.add_argument("-n", "--records", "--molecules", dest="records", type=int, default=None,
                        metavar="N", help=f"held-out records per function (default: what the function's dataset "
                        f"asks for, else {DEFAULT_RECORDS})")
    parser.add_argument("--functions", nargs="+", metavar="NAME",
                        help="evaluate only these function tags (default: all shipped)")
    parser.add_argument("--output-dir", type=Path, metavar="DIR",
                        help="where the PNG plots go (default: $TAGREGISTRY_HOME/demo)")
    parser.add_argument("--no-plots", action="store_true", help="print the tables only")
    parser.add_argument("--base", metavar="NAME",
                        help="named base whose shipped packs to evaluate (default: smollm2-135m)")
    parser.add_argument("--dtype", metavar="DTYPE",
                        help="the base's dtype, e.g. bfloat16 (default: as compose picks it: "
                        "float32 for tags trained on a float32 base)")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tagregistry.demo``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m tagregistry.demo", description=__doc__.split("\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    from tagregistry.errors import TagRegistryError

    try:
        return run_demo(args.records, args.functions, args.output_dir, not args.no_plots,
                        base=args.base, dtype=args.dtype)
    except TagRegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
