"""Per-call overhead of ``predict`` and ``predict_many`` on the default base.

Side by side, alternating, on the same tokens (random tags, p = 10):

- ``predict`` vs the bare base forward (``model.base_model(input_ids=...)``) of the same
  token ids, batch 1 (goal: at most 1.2x on CPU; the rest is encoding, splicing and the head);
- ``predict_many`` with one function vs ``predict`` (goal: not slower, ratio <= 1.0);
- ``predict_many`` with four functions vs four separate ``predict`` calls (goal <= 1.0).

Run: ``python -m benchmarks.bench_overhead [--repeats 20] [--tiny] [--json out.json]``.
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
    add_run_arguments,
    bench_model,
    chosen_base,
    default_clock,
    interleaved,
    median,
    spread,
)

# predict_many with one function runs the very same single pass as predict: 2% allows for noise
GOALS = {"predict_vs_bare_forward": 1.2, "predict_many1_vs_predict": 1.02,
         "predict_many4_vs_four_predicts": 1.0}
RECORD = {"smiles": "CC(C)Cc1ccc(cc1)C(C)C(=O)O"}


def measure_overhead(model: Any, *, repeats: int = 20, clock: str | None = None) -> dict[str, Any]:
    """Median seconds per call of each variant and the three ratios (``clock``: see
    ``bench_setup.default_clock``)."""
    clock = clock or default_clock(model.base.device)
    body = model.model.base_model
    prompt = model.encode(FUNCTIONS[0], **RECORD)
    ids = torch.tensor([prompt.input_ids], device=model.base.device)

    def bare() -> None:
        with torch.inference_mode():
            body(input_ids=ids)

    times = interleaved({
        "bare_forward": bare,
        "predict": lambda: model.predict(FUNCTIONS[0], **RECORD),
        "predict_many1": lambda: model.predict_many(FUNCTIONS[:1], **RECORD),
        "four_predicts": lambda: [model.predict(f, **RECORD) for f in FUNCTIONS],
        "predict_many4": lambda: model.predict_many(FUNCTIONS, **RECORD),
    }, repeats, clock)
    out: dict[str, Any] = {"tokens": len(prompt.input_ids), "repeats": repeats, "clock": clock}
    for name, values in times.items():
        out[f"{name}_s"] = median(values)
        out[f"{name}_spread"] = spread(values)
    out["predict_vs_bare_forward"] = out["predict_s"] / out["bare_forward_s"]
    out["predict_many1_vs_predict"] = out["predict_many1_s"] / out["predict_s"]
    out["predict_many4_vs_four_predicts"] = out["predict_many4_s"] / out["four_predicts_s"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_run_arguments(parser, repeats=20)
    args = parser.parse_args(argv)
    with bench_model(chosen_base(args), device=args.device) as (model, loaded):
        result = measure_overhead(model, repeats=args.repeats, clock=args.clock)
        device = str(loaded.device)
        name = torch.cuda.get_device_name() if device.startswith("cuda") else "CPU"
        result.update(device=f"{device} ({name})", threads=torch.get_num_threads(),
                      base=str(loaded.record))
    print(f"device: {result['device']}, threads: {result['threads']}, base: {result['base']}")
    print(f"{result['tokens']}-token prompt, median of {args.repeats} interleaved repeats, "
          f"{result['clock']} clock (spread = (max - min) / median)")
    for key in ("bare_forward", "predict", "predict_many1", "four_predicts", "predict_many4"):
        print(f"{key + '_s':24s} {result[key + '_s'] * 1000:9.2f} ms  spread {result[key + '_spread']:.2f}")
    for key, goal in GOALS.items():
        ok = result[key] <= goal
        print(f"{key:32s} {result[key]:7.3f}  goal <= {goal}: {'met' if ok else 'MISSED'}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
