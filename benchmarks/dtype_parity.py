"""Does a bf16 base change the numbers? Shipped tags composed in both dtypes, and recipes trained in both.

- ``predict TASK...``: the registered tags of each task (``qed-nci``: ``SMILES`` + ``QED``...)
  composed on a float32 and on a bf16 base; test MSE of each and the relative change of
  every prediction (median, 90th percentile), plus the seconds each took.
- ``train RECIPE --seeds 0 1``: the recipe trained (not registered) in both dtypes with each
  seed; its test metrics side by side, so bf16's change can be read against the seeds' spread.

Rows merge into ``benchmarks/results/dtype_parity.json``.
Run: ``OMP_NUM_THREADS=1 python -m benchmarks.dtype_parity predict qed-nci logp-nci``
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import time
from pathlib import Path

from benchmarks.tasks import get_task, load_split

RESULTS = Path(__file__).resolve().parent / "results" / "dtype_parity.json"
DTYPES = ("float32", "bfloat16")


def predict_parity(task_name: str, limit: int | None) -> dict:
    """Both dtypes' predictions of one task's registered tags on its test split."""
    from tagregistry import Registry

    task = get_task(task_name, {"test": limit})
    records = load_split(task, "test")
    truth = [r["label"] for r in records]
    inputs = [{task.slot: r[task.slot]} for r in records]
    registry = Registry()
    predictions, seconds = {}, {}
    for dtype in DTYPES:
        model = registry.compose(task.domain, task.function, dtype=dtype)
        started = time.perf_counter()
        predictions[dtype] = model.predict_batch(inputs, batch_size=16, progress=False)
        seconds[dtype] = time.perf_counter() - started
    full, half = predictions["float32"], predictions["bfloat16"]
    change = sorted(abs(b - a) / max(abs(a), 1e-6) for a, b in zip(full, half, strict=True))
    return {
        "n": len(records), "tags": model.metadata["tags"],
        **{f"mse_{d}": statistics.fmean((p - t) ** 2 for p, t in zip(predictions[d], truth, strict=True))
           for d in DTYPES},
        "relative_change_median": statistics.median(change),
        "relative_change_p90": change[int(0.9 * (len(change) - 1))],
        **{f"seconds_{d}": seconds[d] for d in DTYPES},
    }


def train_parity(recipe_path: str, seeds: list[int]) -> dict:
    """Test metrics of the recipe trained in each dtype with each seed."""
    from tagregistry import Registry
    from tagregistry.training.recipe import load_recipe

    recipe = load_recipe(recipe_path)
    registry = Registry()
    runs: dict[str, dict[str, dict[str, float]]] = {d: {} for d in DTYPES}
    for seed in seeds:
        for dtype in DTYPES:
            chosen = recipe.model_copy(update={"seed": seed, "dtype": dtype})
            result = registry.train(chosen, register=False, progress=False,
                                    output_dir=Path("/tmp") / f"parity-{recipe.tag}-{dtype}-{seed}")
            runs[dtype][str(seed)] = {k: v for k, v in result.metrics.items() if k.startswith("test_")}
            runs[dtype][str(seed)]["seconds"] = result.seconds
            print(f"{recipe.tag} {dtype} seed {seed}: {runs[dtype][str(seed)]}", flush=True)
    return {"recipe": recipe_path, "seeds": seeds, "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("predict")
    p.add_argument("tasks", nargs="+")
    p.add_argument("--limit", type=int, default=None, help="test records per task")
    t = sub.add_parser("train")
    t.add_argument("recipe")
    t.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args(argv)
    found = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    command = "python -m benchmarks.dtype_parity " + shlex.join(sys.argv[1:] if argv is None else argv)
    if args.mode == "predict":
        for task in args.tasks:
            row = predict_parity(task, args.limit)
            print(task, json.dumps(row), flush=True)
            found[f"predict {task}"] = {**row, "command": command}
    else:
        found[f"train {Path(args.recipe).name}"] = {**train_parity(args.recipe, args.seeds),
                                                    "command": command}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(found, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
