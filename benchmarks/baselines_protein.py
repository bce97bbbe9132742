"""Baselines for the protein plugin's tasks, on the same test splits as the shipped tags.

Run: ``python -m benchmarks.baselines_protein TASK... [--probe] [--json FILE]`` with tasks
``binding-affinity``, ``antimicrobial``, ``descriptor``.

- binding-affinity (KIBA sample, cold split): training mean, per-ligand and per-protein
  training means, nearest neighbour (same protein, most similar ligand by Tanimoto on Morgan
  radius-2 2,048-bit fingerprints); Pearson r and MSE.
- antimicrobial: logistic regression on 1..3-mer TF-IDF counts; ROC-AUC and accuracy.
- descriptor: training mean and a least-squares fit on composition; MSE.
- ``--probe`` adds the product's ridge probe (``tagregistry evaluate``'s ``ridge`` baseline) on
  the frozen base's features of the untagged prompt, read through the task's composed tags
  from the registry (``--home``; install them with ``tagregistry install-pack
  protein-smollm2-135m``): one forward pass per record, minutes on a CPU for the peptide tasks,
  hours for binding-affinity.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.protein_baselines import simple
from benchmarks.tasks import PROTEIN_TASKS, TaskData, get_task, load_task_data

#: task -> [(baseline name, function(task) -> (predictions, notes))]
CHEAP: dict[str, list[tuple[str, Any]]] = {
    "binding-affinity": [
        ("training mean", simple.training_mean),
        ("per-ligand training mean", lambda t: simple.per_entity_mean(t, "ligand_id")),
        ("per-protein training mean", lambda t: simple.per_entity_mean(t, "protein_id")),
        ("nearest neighbour (Tanimoto)", simple.nearest_ligand),
    ],
    "antimicrobial": [
        ("training class frequency", simple.training_mean),
        ("k-mer logistic regression", simple.kmer_logistic),
    ],
    "descriptor": [
        ("training mean", simple.training_mean),
        ("composition least squares", simple.composition_linear),
    ],
}


def score(data: TaskData, preds: list[float]) -> dict[str, float | None]:
    """Regression: MSE, MAE and Pearson r (None for constant predictions); classification:
    ROC-AUC (None when constant) and accuracy at 0.5."""
    from sklearn.metrics import roc_auc_score

    from tagregistry.heads.metrics import accuracy, mae, mse, pearson

    truth = data.labels("test")
    constant = max(preds) - min(preds) < 1e-12
    if data.classification:
        auc = None if constant else float(roc_auc_score(truth, preds))
        return {"roc_auc": auc, "accuracy": accuracy([float(p >= 0.5) for p in preds], truth)}
    return {"mse": mse(preds, truth), "mae": mae(preds, truth),
            "pearson": None if constant else pearson(preds, truth)}


def _fmt(value: float | None) -> str:
    if value is None:
        return "n/a (constant)"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.2e}" if 0 < abs(value) < 1e-3 else f"{value:.4f}"


def run(names: list[str], probe: bool, batch_size: int, home: str | None = None) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in names:
        data = load_task_data(get_task(name))
        task = data.task
        sizes = {s: len(r) for s, r in data.splits.items()}
        print(f"\n{name} ({task.function}; {sizes['train']}/{sizes['validation']}/{sizes['test']} "
              f"train/validation/test; options {task.options})", flush=True)
        rows = []
        baselines = list(CHEAP[name])
        if probe:
            baselines.append(("ridge probe (frozen base)", _probe(task.refs, batch_size, home)))
        for label, baseline in baselines:
            started = time.perf_counter()
            preds, notes = baseline(data)
            metrics = score(data, preds)
            seconds = time.perf_counter() - started
            rows.append({"baseline": label, **metrics, "seconds": round(seconds, 1), **notes})
            shown = "  ".join(f"{k} {_fmt(v)}" for k, v in metrics.items())
            print(f"  {label:<30} {shown}   ({seconds:.1f} s)", flush=True)
            for key, text in notes.items():
                print(f"      {key}: {text}", flush=True)
        results[name] = {"function": task.function, "sizes": sizes, "options": task.options,
                         "baselines": rows}
    return results


def _probe(refs: list[str], batch_size: int, home: str | None) -> Any:
    """The ridge probe as a baseline: composes ``refs`` (for their prompt) when it runs."""
    from benchmarks.harness.taglm import open_registry
    from benchmarks.protein_baselines.probe import ridge_probe

    def run_probe(data: TaskData) -> Any:
        with open_registry(home) as registry:
            model = registry.compose(*refs)
            return ridge_probe(data, model, batch_size=batch_size)

    return run_probe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tasks", nargs="+", choices=list(PROTEIN_TASKS))
    parser.add_argument("--probe", action="store_true", help="add the ridge probe (runs the base model)")
    parser.add_argument("--batch-size", type=int, default=8, help="probe forward batch size")
    parser.add_argument("--home", help="registry folder holding the tasks' tags (default: $TAGREGISTRY_HOME)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    results = run(args.tasks, args.probe, args.batch_size, args.home)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
