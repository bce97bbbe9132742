"""Composition benchmark on the default base (CPU): splice overhead, batching, shared prefix.

Run: ``python -m benchmarks.bench_compose [--repeats 5] [--json out.json]``. Uses a
temporary registry with random tags (p=10, as in the paper) and its own in-process plugin,
so it needs no trained tags. Prints one table and the three ratios against their goals:

- splice-injection forward / raw forward, batch 8 x 128 tokens (goal <= 1.05);
- ``predict_batch`` (batch 16) throughput / loop of ``predict`` (goal >= 4);
- ``predict_many`` with 4 functions / one ``predict`` (goal <= 1.6).
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable

import torch

from benchmarks.bench_setup import FUNCTIONS, SMILES, P, bench_catalog, bench_model, timed
from benchmarks.bench_setup import interleaved as interleaved_times


def interleaved(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median wall times of several functions, run alternately so drift affects all alike."""
    return {k: statistics.median(v) for k, v in interleaved_times(fns, repeats).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--records", type=int, default=64)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    from tagregistry.engine.forward import run_base
    from tagregistry.engine.splice import splice_embeddings
    from tagregistry.models.loading import load_base

    base = load_base(catalog=bench_catalog())
    generator = torch.Generator().manual_seed(0)
    with bench_model(base) as (model, _):
        results: dict[str, float] = {"threads": torch.get_num_threads()}

        # 1. splice-injection forward vs raw forward, batch 8 x 128 tokens
        ids = torch.randint(100, 40000, (8, 128), generator=generator)
        mask = torch.ones_like(ids)
        positions = torch.arange(128).expand(8, -1)
        rows = torch.full_like(ids, -1)
        layout = model.table.layout()
        for b in range(8):  # one domain tag and one function tag per row, like a real prompt
            first, _ = layout["BenchMol"]
            rows[b, 20:20 + P] = torch.arange(first, first + P)
            first, _ = layout["BenchQED"]
            rows[b, 128 - P:] = torch.arange(first, first + P)
        body = base.model.base_model

        def raw() -> None:
            with torch.inference_mode():
                body(input_ids=ids, attention_mask=mask, position_ids=positions)

        def spliced() -> None:
            with torch.inference_mode():
                embeds = splice_embeddings(base.model, ids, rows, model.table)
                run_base(base.model, embeds, mask, positions)

        print("timing forward passes (batch 8 x 128)...", flush=True)
        forward = interleaved({"raw": raw, "spliced": spliced}, max(args.repeats, 5))
        results["forward_raw_s"] = forward["raw"]
        results["forward_spliced_s"] = forward["spliced"]
        results["splice_overhead_ratio"] = forward["spliced"] / forward["raw"]

        # 2. predict_batch (batch 16) vs a loop of single predictions
        print(f"timing {args.records} predictions: loop vs predict_batch...", flush=True)
        records = [{"smiles": SMILES[i % len(SMILES)]} for i in range(args.records)]
        loop_s = timed(lambda: [model.predict("BenchQED", **r) for r in records], max(1, args.repeats // 2))
        batch_s = timed(lambda: model.predict_batch(records, "BenchQED", batch_size=16, progress=False),
                        max(1, args.repeats // 2))
        results["predict_loop_s"] = loop_s
        results["predict_batch16_s"] = batch_s
        results["batch_throughput_ratio"] = loop_s / batch_s
        # reference: what batching 16 buys the bare model on this machine (same token count)
        n_tokens = len(model.encode("BenchQED", **records[0]).input_ids)
        one_ids = torch.randint(100, 40000, (1, n_tokens), generator=generator)
        batch_ids = one_ids.expand(16, -1).contiguous()

        def raw_one() -> None:
            with torch.inference_mode():
                body(input_ids=one_ids)

        def raw_sixteen() -> None:
            with torch.inference_mode():
                body(input_ids=batch_ids)

        reference = interleaved({"one": raw_one, "sixteen": raw_sixteen}, max(args.repeats, 3))
        results["raw_model_batch16_throughput_ratio"] = 16 * reference["one"] / reference["sixteen"]

        # 3. predict_many with 4 functions vs one prediction and vs 4 separate predictions
        print("timing predict_many vs single predictions...", flush=True)
        record = {"smiles": SMILES[4]}
        many = interleaved({
            "one": lambda: model.predict("BenchQED", **record),
            "four_separate": lambda: [model.predict(f, **record) for f in FUNCTIONS],
            "predict_many": lambda: model.predict_many(FUNCTIONS, **record),
        }, args.repeats * 4)
        results["predict_one_s"] = many["one"]
        results["predict_four_separate_s"] = many["four_separate"]
        results["predict_many4_s"] = many["predict_many"]
        results["predict_many_vs_one_ratio"] = many["predict_many"] / many["one"]
        results["predict_many_vs_four_ratio"] = many["predict_many"] / many["four_separate"]
        # the same with a long input (~130 tokens, e.g. a peptide or a large molecule): the
        # shared prefix dominates, which is where running it once pays off most
        long_record = {"smiles": "CC(=O)N[C@@H](Cc1ccccc1)C(=O)" * 6 + "O"}
        long = interleaved({
            "one": lambda: model.predict("BenchQED", **long_record),
            "predict_many": lambda: model.predict_many(FUNCTIONS, **long_record),
        }, args.repeats * 2)
        results["long_input_tokens"] = len(model.encode("BenchQED", **long_record).input_ids)
        results["predict_many_vs_one_ratio_long_input"] = long["predict_many"] / long["one"]

    goals = {"splice_overhead_ratio": ("<=", 1.05), "batch_throughput_ratio": (">=", 4.0),
             "predict_many_vs_one_ratio": ("<=", 1.6)}
    print(f"device: cpu, threads: {results['threads']}, base: {base.record}")
    for key, value in results.items():
        if key in ("threads", "long_input_tokens"):
            continue
        goal = goals.get(key)
        verdict = ""
        if goal:
            ok = value <= goal[1] if goal[0] == "<=" else value >= goal[1]
            verdict = f"  goal {goal[0]} {goal[1]}: {'met' if ok else 'MISSED'}"
        print(f"{key:32s} {value:10.4f}{verdict}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
