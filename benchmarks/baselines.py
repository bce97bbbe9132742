"""Baselines beside Tag-LLM on one task, on the same splits and the same frozen base.

Methods (``--methods``, comma-separated):

- ``mean``: the training mean; ``nn``: nearest neighbour (Tanimoto on Morgan r=2, 2,048 bits);
- ``ridge``: RidgeCV on the frozen base's hidden states (mean over the SMILES tokens or the
  last token; layer(s) chosen on validation); features cached on disk;
- ``mlp``: the head ``head_refit: mlp`` fits (three averaged MLPs, early-stopped on validation)
  on the same features (mean over the SMILES tokens, every stored layer);
- ``prompt-tuning`` / ``lora``: PEFT with p virtual tokens / LoRA r=8, each with a linear
  regression head on the last hidden state, ``--steps`` optimiser steps of ``--batch``;
- ``taglm``: registered tags (``--tags SMILES@1 QED@1`` from the registry at ``--home``),
  through ``Registry.compose`` and ``predict_batch``;
- task ``qed-selfies-zeroshot``: ``compose("SELFIES", "QED")`` on the QED test molecules
  written as SELFIES, the same ``<QED>`` with no domain tag, and the training mean.

Rows print side by side and merge into ``benchmarks/results/baselines-<task>.json``.
Example: ``OMP_NUM_THREADS=1 python benchmarks/baselines.py --task qed-nci --methods mean,nn,ridge``
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness.results import merge, print_table, row  # noqa: E402
from harness.tasks import TASKS, get_task, load_split, records_hash  # noqa: E402

METHODS = ("mean", "nn", "ridge", "mlp", "prompt-tuning", "lora", "taglm")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", required=True, choices=list(TASKS))
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
    return "python benchmarks/baselines.py " + " ".join(shlex.quote(w) for w in words)


def run(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Run the requested methods; returns the result rows (also printed and saved)."""
    args = parse_args(argv)
    task = get_task(args.task, {"train": args.train_limit, "validation": args.validation_limit,
                                "test": args.test_limit})
    data = {split: load_split(task, split) for split in ("train", "validation", "test")}
    command = command_line(argv)
    methods = args.methods.split(",")
    if task.name == "qed-selfies-zeroshot":
        from harness.taglm import selfies_zero_shot

        rows = selfies_zero_shot(task, data, args, command)
    else:
        rows = [r for method in methods for r in run_method(method, task, data, args, command)]
    header = {"task": task.name, "dataset": task.dataset, "function": task.function,
              "test_split": task.test_split, "note": task.note,
              "sizes": {k: len(v) for k, v in data.items()},
              "data": {k: records_hash(v) for k, v in data.items()}}
    if args.no_save:
        print_table(task.name, rows)
        return rows
    directory = Path(args.results_dir) if args.results_dir else None
    path = merge(task.name, header, rows, directory)
    print_table(task.name, json.loads(path.read_text())["rows"])  # with rows of earlier runs
    print(f"saved to {path}")
    return rows


def _loaded_base(args: argparse.Namespace) -> Any:
    from tagregistry.models.loading import load_base

    return load_base(args.base, device=args.device)


def run_method(method: str, task: Any, data: dict[str, list[dict[str, Any]]],
               args: argparse.Namespace, command: str) -> list[dict[str, Any]]:
    """Rows for one method."""
    from harness import probes

    train, validation, test = data["train"], data["validation"], data["test"]
    train_y = [r["label"] for r in train]
    test_y = [r["label"] for r in test]
    slot = task.slot
    if method == "mean":
        return [row("training mean", probes.mean_baseline(train_y, len(test)), test_y, command)]
    if method == "nn":
        pred = probes.nearest_neighbour([r[slot] for r in train], train_y, [r[slot] for r in test])
        return [row("nearest neighbour (Tanimoto, Morgan r=2)", pred, test_y, command)]
    if method in ("ridge", "mlp"):
        from harness.features import default_layers, extract

        loaded = _loaded_base(args)
        layers = default_layers(int(loaded.model.config.num_hidden_layers))
        feats = {k: extract(loaded, [r[slot] for r in v], domain=task.domain, layers=layers)
                 for k, v in data.items()}
        validation_y = [r["label"] for r in validation]
        if method == "mlp":
            result = probes.mlp_probe(feats["train"], train_y, feats["validation"], validation_y,
                                      feats["test"])
            return [row("MLP probe on frozen base", result["predictions"], test_y, command,
                        choice=result["choice"], base=loaded.record.model_dump())]
        result = probes.ridge_probe(feats["train"], train_y, feats["validation"], validation_y,
                                    feats["test"], layers)
        return [row("ridge probe on frozen base", result["predictions"], test_y, command,
                    choice=result["choice"], validation_mse=result["validation_mse"],
                    base=loaded.record.model_dump())]
    if method in ("prompt-tuning", "lora"):
        from harness.peft_baselines import train_and_predict

        loaded = _loaded_base(args)
        pred, details = train_and_predict(method, loaded, task, data, args)
        label = (f"PEFT prompt tuning (p={args.p})" if method == "prompt-tuning"
                 else f"PEFT LoRA (r={args.lora_r})")
        return [row(label, pred, test_y, command, base=loaded.record.model_dump(), **details)]
    from harness.taglm import taglm_rows

    return taglm_rows(task, data, args, command)


def main(argv: list[str] | None = None) -> int:
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
