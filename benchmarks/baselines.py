"""Baselines beside Tag-LLM on one task, on the same splits and the same frozen base.

Methods (``--methods``, comma-separated):

- ``mean``, ``nn``, ``ridge``, ``mlp``: the product's baselines (``tagregistry.evaluation``:
  training mean, nearest neighbour on the frozen base's features, the ridge and MLP probes the
  head refits use), read on the function's prompt without tags of the composed ``--tags``;
  ``tagregistry evaluate`` prints the same rows for a dataset's own splits, this script for
  the task's (e.g. the MOSES subsamples);
- ``prompt-tuning`` / ``lora``: PEFT with p virtual tokens / LoRA r=8, each with a linear
  regression head on the last hidden state, ``--steps`` optimiser steps of ``--batch``;
- ``taglm``: registered tags (``--tags SMILES@1 QED@1`` from the registry at ``--home``),
  through ``Registry.compose`` and ``predict_batch``;
- task ``qed-selfies-zeroshot``: ``compose("SELFIES", "QED")`` on the QED test molecules
  written as SELFIES, the same ``<QED>`` with no domain tag, and the training mean.

Rows print side by side and merge into ``benchmarks/results/baselines-<task>.json``.
Example: ``OMP_NUM_THREADS=1 python -m benchmarks.baselines --task qed-nci --methods mean,nn,ridge``
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from benchmarks.harness.results import merge, print_table, row
from benchmarks.tasks import CHEM_TASKS, get_task, load_split
from tagregistry.hashing import records_sha256

METHODS = ("mean", "nn", "ridge", "mlp", "prompt-tuning", "lora", "taglm")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", required=True, choices=list(CHEM_TASKS))
    parser.add_argument("--methods", default="mean,nn,ridge")
    parser.add_argument("--base", default=None, help="base model (default: smollm2-135m)")
    parser.add_argument("--device", default=None)
    parser.add_argument("--train-limit", type=int, default=None)
    parser.add_argument("--validation-limit", type=int, default=None)
    parser.add_argument("--test-limit", type=int, default=None)
    parser.add_argument("--steps", type=int, default=200, help="PEFT optimiser steps")
    parser.add_argument("--batch", type=int, default=16, help="PEFT batch size")
    parser.add_argument("--lr", type=float, default=1e-3, help="PEFT learning rate")
    parser.add_argument("--p", type=int, default=10, help="prompt-tuning virtual tokens")
    parser.add_argument("--lora-r", type=int, default=8)
    parser.add_argument("--tags", nargs="*", default=None, help="e.g. SMILES@1 QED@1")
    parser.add_argument("--home", default=None,
                        help="registry folder holding the tags (default: $TAGREGISTRY_HOME)")
    parser.add_argument("--results-dir", default=None, help="default benchmarks/results")
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args(argv)
    unknown = set(args.methods.split(",")) - set(METHODS)
    if unknown:
        parser.error(f"unknown method(s) {sorted(unknown)}; choose from {', '.join(METHODS)}")
    return args


def command_line(argv: list[str] | None) -> str:
    words = sys.argv[1:] if argv is None else argv
    return "python -m benchmarks.baselines " + " ".join(shlex.quote(w) for w in words)


def run(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Run the requested methods; returns the result rows (also printed and saved)."""
    args = parse_args(argv)
    task = get_task(args.task, {"train": args.train_limit, "validation": args.validation_limit,
                                "test": args.test_limit})
    data = {split: load_split(task, split) for split in ("train", "validation", "test")}
    command = command_line(argv)
    methods = args.methods.split(",")
    if task.name == "qed-selfies-zeroshot":
        from benchmarks.harness.taglm import selfies_zero_shot

        rows = selfies_zero_shot(task, data, args, command)
    else:
        rows = run_methods(methods, task, data, args, command)
    header = {"task": task.name, "dataset": task.dataset, "function": task.function,
              "test_split": task.test_split, "note": task.note,
              "sizes": {k: len(v) for k, v in data.items()},
              "data": {k: records_sha256(v) for k, v in data.items()}}
    if args.no_save:
        print_table(task.name, rows)
        return rows
    directory = Path(args.results_dir) if args.results_dir else None
    path = merge(task.name, header, rows, directory)
    print_table(task.name, json.loads(path.read_text())["rows"])  # with rows of earlier runs
    print(f"saved to {path}")
    return rows


#: the methods the product's evaluation fits (one pass of frozen-base features for all)
PRODUCT_BASELINES = ("mean", "nn", "ridge", "mlp")


def run_methods(methods: list[str], task: Any, data: dict[str, list[dict[str, Any]]],
                args: argparse.Namespace, command: str) -> list[dict[str, Any]]:
    """Rows for ``methods``, in order; the product's baselines share one feature pass."""
    chosen = [m for m in methods if m in PRODUCT_BASELINES]
    found = product_baseline_rows(chosen, task, data, args, command) if chosen else {}
    return [r for method in methods
            for r in ([found[method]] if method in found else run_method(method, task, data, args, command))]


def product_baseline_rows(methods: list[str], task: Any, data: dict[str, list[dict[str, Any]]],
                          args: argparse.Namespace, command: str) -> dict[str, dict[str, Any]]:
    """The product's baselines (:func:`tagregistry.evaluation.run.baseline_predictions`) on the
    task's splits, read through the composed ``--tags`` (their function's prompt, no tags)."""
    from benchmarks.harness.taglm import open_registry
    from benchmarks.results_evaluate import BASELINE_NAMES
    from tagregistry.evaluation.run import baseline_predictions

    refs = args.tags or task.refs
    parts = {name: (data[split], [r["label"] for r in data[split]])
             for name, split in (("train", "train"), ("validation", "validation"), ("scored", "test"))}
    with open_registry(args.home) as registry:
        model = registry.compose(*refs, base=args.base, device=args.device)
        found = baseline_predictions(model, task.function, parts, methods)
        base = model.base.record.model_dump()
    truth = parts["scored"][1]
    return {m: row(BASELINE_NAMES[m], found[m][0], truth, command, base=base,
                   read_through=" + ".join(refs)) for m in methods}


def run_method(method: str, task: Any, data: dict[str, list[dict[str, Any]]],
               args: argparse.Namespace, command: str) -> list[dict[str, Any]]:
    """Rows for one method that the product does not fit (PEFT, registered tags)."""
    if method in ("prompt-tuning", "lora"):
        from benchmarks.harness.peft_baselines import train_and_predict
        from tagregistry.models.loading import load_base

        loaded = load_base(args.base, device=args.device)
        pred, details = train_and_predict(method, loaded, task, data, args)
        label = (f"PEFT prompt tuning (p={args.p})" if method == "prompt-tuning"
                 else f"PEFT LoRA (r={args.lora_r})")
        return [row(label, pred, [r["label"] for r in data["test"]], command,
                    base=loaded.record.model_dump(), **details)]
    from benchmarks.harness.taglm import taglm_rows

    return taglm_rows(task, data, args, command)


def main(argv: list[str] | None = None) -> int:
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
