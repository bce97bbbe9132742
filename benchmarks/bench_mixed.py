"""Mixed-task batches: throughput of 64 records over 4 functions vs 64 of one function.

Both runs use the same 64 input strings on the default base (``load_base()``, SmolLM2-135M)
with random tags (p = 10). The mixed run puts ``"function": name`` in every record and calls
``predict_batch`` once; the reference calls it with one function for all 64. A third variant
runs the four functions as four separate ``predict_batch`` calls (what a user without mixed
batches would do). Variants alternate, so machine load affects all alike.

Run: ``python -m benchmarks.bench_mixed [--repeats 5] [--batch-size 64] [--tiny]``
(``--tiny``: a 2-layer random Llama instead of the default base, for a quick check).
Goal: mixed / one-function throughput >= 0.9.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch

from benchmarks.bench_setup import (
    FUNCTIONS,
    SMILES,
    add_run_arguments,
    bench_model,
    chosen_base,
    default_clock,
    interleaved,
    median,
    spread,
)

GOAL = 0.9


def mixed_records(count: int) -> list[dict[str, Any]]:
    """``count`` records cycling over the benchmark SMILES and the four functions."""
    return [{"function": FUNCTIONS[i % len(FUNCTIONS)], "smiles": SMILES[(i // 4 + i) % len(SMILES)]}
            for i in range(count)]


def measure_mixed(model: Any, *, records: int = 64, batch_size: int = 64,
                  repeats: int = 5, clock: str | None = None) -> dict[str, Any]:
    """Seconds per call and the throughput ratios (mixed vs one function vs separate calls);
    ``clock``: see ``bench_setup.default_clock``."""
    clock = clock or default_clock(model.base.device)
    mixed = mixed_records(records)
    single = [{"smiles": r["smiles"]} for r in mixed]
    groups = {f: [{"smiles": r["smiles"]} for r in mixed if r["function"] == f] for f in FUNCTIONS}
    times = interleaved({
        "one_function": lambda: model.predict_batch(single, FUNCTIONS[0], batch_size=batch_size,
                                                    progress=False),
        "mixed": lambda: model.predict_batch(mixed, batch_size=batch_size, progress=False),
        "separate_calls": lambda: [model.predict_batch(rows, f, batch_size=batch_size,
                                                       progress=False)
                                   for f, rows in groups.items()],
    }, repeats, clock)
    out: dict[str, Any] = {"records": records, "batch_size": batch_size, "repeats": repeats,
                           "clock": clock}
    for name, values in times.items():
        out[f"{name}_s"] = median(values)
        out[f"{name}_spread"] = spread(values)
    out["mixed_vs_one_function_throughput"] = out["one_function_s"] / out["mixed_s"]
    out["mixed_vs_separate_calls_throughput"] = out["separate_calls_s"] / out["mixed_s"]
    out["records_per_s_mixed"] = records / out["mixed_s"]
    out["records_per_s_one_function"] = records / out["one_function_s"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    add_run_arguments(parser, repeats=5)
    args = parser.parse_args(argv)
    with bench_model(chosen_base(args), device=args.device) as (model, loaded):
        result = measure_mixed(model, records=args.records, batch_size=args.batch_size,
                               repeats=args.repeats, clock=args.clock)
        device = str(loaded.device)
        name = torch.cuda.get_device_name() if device.startswith("cuda") else "CPU"
        result.update(device=f"{device} ({name})", threads=torch.get_num_threads(),
                      base=str(loaded.record))
    print(f"device: {result['device']}, threads: {result['threads']}, base: {result['base']}")
    print(f"{args.records} records, batch_size {args.batch_size}, median of {args.repeats} "
          f"interleaved repeats, {result['clock']} clock (spread = (max - min) / median)")
    for name in ("one_function", "mixed", "separate_calls"):
        print(f"{name + '_s':28s} {result[name + '_s']:9.4f}  spread {result[name + '_spread']:.2f}")
    ratio = result["mixed_vs_one_function_throughput"]
    print(f"{'mixed_vs_one_function_throughput':34s} {ratio:7.3f}  goal >= {GOAL}: "
          f"{'met' if ratio >= GOAL else 'MISSED'}")
    print(f"{'mixed_vs_separate_calls_throughput':34s} "
          f"{result['mixed_vs_separate_calls_throughput']:7.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
