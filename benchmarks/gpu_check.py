"""GPU check on the real default base: training steps/s, predict latency, batch throughput.

Meant for one call on a lent H200/H100 (about 4-6 minutes; see benchmarks/README.md for
staging the base and wheels). Everything runs through the project's own code on the
default base (SmolLM2-135M, bf16):

1. ``Registry.train``: stage 1 (``<SMILES>``, RDKit's NCI sample) and stage 2 (``<QED>``,
   fast path, then the naive path for the crossover) at batch 32; steps/s is the loop's own
   timing after a short warm-up run in the same process;
2. ``bench_overhead.measure_overhead``: ``predict`` latency next to the bare forward,
   ``predict_many`` with one and four functions;
3. ``predict_batch`` throughput at batch 16 and 64, and ``bench_mixed.measure_mixed``
   (64 records over 4 functions vs 64 of one function);
4. ``gpu_train_check.measure`` at hidden 2048 (random Llama): fast vs naive step, the
   crossover recorded in ``gpu_train_check_h200.txt``.

Writes ``gpu_check_<card>.txt`` and ``.json`` to ``--out`` (default ``benchmarks/results``).
``--smoke`` runs a few steps of everything on the CPU with a tiny model (checks the script).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from benchmarks import bench_mixed, bench_overhead, gpu_train_check
from benchmarks.bench_setup import FUNCTIONS, SMILES, bench_model, timed

GOALS = {"stage1_steps_per_s": (">=", 40.0), "stage2_fast_steps_per_s": (">=", 40.0),
         "predict_ms": ("<=", 10.0), "mixed_vs_one_function_throughput": (">=", 0.9),
         "predict_many1_vs_predict": ("<=", 1.0), "predict_many4_vs_four_predicts": ("<=", 1.0)}


def recipes(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Stage-1 and stage-2 recipes (the tutorial's, at batch ``args.batch``)."""
    hyper = {"n_vectors": 10, "lr": 1e-3, "batch_size": args.batch}
    evaluation = {"max_examples": 64}
    stage1 = {"stage": 1, "tag": "SMILES", "data": {"dataset": "smiles-nci-5k", "limit": 2000},
              "hyper": hyper, "eval": evaluation}
    stage2 = {"stage": 2, "tag": "QED", "freeze": ["SMILES"],
              "data": {"dataset": "qed-nci", "limit": 2000}, "hyper": hyper, "eval": evaluation}
    return {"stage1": stage1, "stage2": stage2}


def with_steps(recipe: dict[str, Any], steps: int, **hyper: Any) -> dict[str, Any]:
    return {**recipe, "hyper": {**recipe["hyper"], "max_steps": steps, **hyper}}


def train_rates(args: argparse.Namespace, registry: Any, base: Any) -> dict[str, Any]:
    """Steps/s of stage 1, stage 2 (fast) and stage 2 (naive) through ``Registry.train``."""
    plan = recipes(args)
    out: dict[str, Any] = {"train_batch": args.batch}

    def run(name: str, recipe: dict[str, Any], steps: int, register: bool, **hyper: Any) -> None:
        registry.train(with_steps(recipe, args.warmup_steps, **hyper), base=base, progress=False,
                       register=False)
        result = registry.train(with_steps(recipe, steps, **hyper), base=base, progress=False,
                                register=register)
        out[f"{name}_steps"] = result.steps
        out[f"{name}_steps_per_s"] = result.steps / result.seconds
        out[f"{name}_final_loss"] = result.history[-1]["loss"]
        print(f"{name}: {result.steps} steps in {result.seconds:.1f} s", flush=True)

    run("stage1", plan["stage1"], args.stage1_steps, register=True)
    run("stage2_fast", plan["stage2"], args.stage2_steps, register=False)
    run("stage2_naive", plan["stage2"], args.naive_steps, register=False, fast_path=False)
    out["stage2_fast_vs_naive"] = out["stage2_fast_steps_per_s"] / out["stage2_naive_steps_per_s"]
    return out


def inference(args: argparse.Namespace, base: Any) -> dict[str, Any]:
    """Latency and throughput of the composed model (random tags, four functions)."""
    out: dict[str, Any] = {}
    with bench_model(base) as (model, _):
        out.update(bench_overhead.measure_overhead(model, repeats=args.repeats))
        out["predict_ms"] = out["predict_s"] * 1000
        records = [{"smiles": SMILES[i % len(SMILES)]} for i in range(256)]
        for size in (16, 64):
            seconds = timed(lambda size=size: model.predict_batch(records, FUNCTIONS[0],
                                                                  batch_size=size, progress=False),
                            max(2, args.repeats // 5))
            out[f"predict_batch{size}_records_per_s"] = len(records) / seconds
        mixed = bench_mixed.measure_mixed(model, repeats=max(3, args.repeats // 4))
        out.update({f"mixed_{k}" if not k.startswith("mixed") else k: v for k, v in mixed.items()})
    return out


def crossover(args: argparse.Namespace) -> dict[str, Any]:
    """Fast vs naive step on a random hidden-2048 Llama (``gpu_train_check``)."""
    check = argparse.Namespace(hidden=2048, layers=16, vocab=32000, batch=16, tokens=256, p=10,
                               steps=10, warmup=3, device=args.device, torch_dtype=args.dtype)
    if args.smoke:
        check.hidden, check.layers, check.vocab, check.steps, check.warmup = 64, 2, 500, 2, 1
    rows = gpu_train_check.measure(check)
    return {"hidden2048_fast_steps_per_s": rows[0]["steps_per_s"],
            "hidden2048_naive_steps_per_s": rows[1]["steps_per_s"],
            "hidden2048_stage1_steps_per_s": rows[2]["steps_per_s"],
            "hidden2048_fast_vs_naive": rows[0]["steps_per_s"] / rows[1]["steps_per_s"]}


def report(results: dict[str, Any]) -> str:
    lines = [f"{results['card']}: default base {results['base']}, {results['dtype']}, "
             f"torch {results['torch']}, transformers {results['transformers']}"]
    for key, value in results.items():
        if not isinstance(value, float):
            continue
        goal = GOALS.get(key) if results["card"] != "CPU" else None  # smoke: no verdicts
        verdict = ""
        if goal:
            ok = value >= goal[1] if goal[0] == ">=" else value <= goal[1]
            verdict = f"  goal {goal[0]} {goal[1]}: {'met' if ok else 'MISSED'}"
        lines.append(f"{key:40s} {value:12.4f}{verdict}")
    lines.append(f"total wall time {results['wall_s']:.0f} s")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--stage1-steps", type=int, default=200)
    parser.add_argument("--stage2-steps", type=int, default=400)
    parser.add_argument("--naive-steps", type=int, default=150)
    parser.add_argument("--warmup-steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--smoke", action="store_true", help="CPU, tiny model, few steps")
    parser.add_argument("--skip", default="", help="comma list of parts to skip: train,inference,crossover")
    args = parser.parse_args(argv)
    import torch
    import transformers

    from tagregistry.models.loading import load_base
    from tagregistry.registry import Registry

    warnings.filterwarnings("ignore")
    began = time.perf_counter()
    args.device = "cpu" if args.smoke else "cuda"
    args.dtype = torch.float32 if args.smoke else torch.bfloat16
    if args.smoke:
        args.stage1_steps, args.stage2_steps, args.naive_steps, args.warmup_steps = 3, 3, 2, 1
        args.repeats, args.batch = 3, 4
    elif not torch.cuda.is_available():
        print("no CUDA device: run on a GPU machine, or pass --smoke", file=sys.stderr)
        return 2
    card = torch.cuda.get_device_name() if args.device == "cuda" else "CPU"
    skip = set(filter(None, args.skip.split(",")))
    results: dict[str, Any] = {"card": card, "torch": torch.__version__,
                               "transformers": transformers.__version__,
                               "dtype": str(args.dtype).removeprefix("torch.")}
    with tempfile.TemporaryDirectory() as tmp:
        registry = Registry(f"sqlite:///{tmp}/gpu.db")
        if args.smoke:
            from tagregistry.testing import tiny_base

            base = tiny_base("llama", hidden_size=64)
        else:
            base = load_base(device=args.device, dtype=args.dtype)
        results["base"] = str(base.record)
        if "train" not in skip:
            results.update(train_rates(args, registry, base))
        registry.close()
    if "inference" not in skip:
        results.update(inference(args, base))
    if "crossover" not in skip:
        results.update(crossover(args))
    results["wall_s"] = time.perf_counter() - began
    text = report(results)
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "gpu_check_" + re.sub(r"[^a-z0-9]+", "_", card.lower()).strip("_")
    (out / f"{stem}.txt").write_text(text)
    (out / f"{stem}.json").write_text(json.dumps(results, indent=1))
    print(f"wrote {out / stem}.txt and .json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
