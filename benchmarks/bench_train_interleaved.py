"""Training steps under a shared CPU: variants and thread counts alternated in one process.

``bench_train.py`` runs each variant once in its own process (for honest peak memory); on a
machine that other jobs share, load changes between those runs move the ratios. This script
builds the same steps (``bench_train._setup``/``_step_fn``: default base, batch 16, ~80
tokens, p = 10) in one process and times them round by round, alternating variants and
``torch.set_num_threads`` settings (the order rotates every round), so each ratio is paired
within a round. It prints per-setting medians, the paired ratios with their range, and the
CPU time the process got per wall second (below the thread count = other jobs took cores).

Run: ``python -m benchmarks.bench_train_interleaved --variants fast,peft --threads 1,2
--rounds 4 --steps 2``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from benchmarks import bench_train


def build_steps(variants: list[str], batch: int, tokens: int, p: int,
                device: str) -> dict[str, Any]:
    """One optimiser-step closure per variant, all on one loaded base."""
    import torch

    torch.manual_seed(0)
    setup = bench_train._setup(batch, tokens, p, device)
    steps = {}
    for variant in variants:
        step, params = bench_train._step_fn(variant, setup, p)
        optimizer = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)

        def one(step: Any = step, optimizer: Any = optimizer) -> None:
            loss = step()
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)

        steps[variant] = one
    return steps


def run_rounds(steps: dict[str, Any], threads: list[int], rounds: int,
               per_round: int) -> list[dict[str, Any]]:
    """Rows ``{round, variant, threads, steps_per_s, cpu_s_per_step, cpu_per_wall}``; the order
    of the settings rotates per round."""
    import torch

    settings = [(t, v) for t in threads for v in steps]
    for t, v in settings:  # warm-up of every setting
        torch.set_num_threads(t)
        steps[v]()
    rows = []
    for r in range(rounds):
        shift = r % len(settings)
        for t, v in settings[shift:] + settings[:shift]:
            torch.set_num_threads(t)
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(per_round):
                steps[v]()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            rows.append({"round": r, "variant": v, "threads": t, "steps_per_s": per_round / wall,
                         "cpu_s_per_step": cpu / per_round, "cpu_per_wall": cpu / wall})
            print(f"round {r} threads {t} {v:8s} {per_round / wall:.3f} steps/s "
                  f"(cpu/wall {cpu / wall:.2f})", file=sys.stderr, flush=True)
    return rows


def summarise(rows: list[dict[str, Any]], baseline: str) -> dict[str, Any]:
    """Medians per setting, paired ratios vs ``baseline`` and thread speed-ups.

    Ratios by wall time, and for one thread also by process CPU time (immune to the
    scheduler taking the core away; with more threads CPU time sums over them).
    """
    def get(r: int, v: str, t: int, key: str = "steps_per_s") -> float:
        return next(x[key] for x in rows if (x["round"], x["variant"], x["threads"]) == (r, v, t))

    rounds = sorted({x["round"] for x in rows})
    variants = list(dict.fromkeys(x["variant"] for x in rows))
    threads = sorted({x["threads"] for x in rows})
    out: dict[str, Any] = {"settings": {}, "ratios": {}}
    for t in threads:
        for v in variants:
            mine = [x for x in rows if x["variant"] == v and x["threads"] == t]
            rates = [x["steps_per_s"] for x in mine]
            out["settings"][f"{v}@{t}"] = {
                "median_steps_per_s": statistics.median(rates), "min": min(rates), "max": max(rates),
                "median_cpu_s_per_step": statistics.median(x["cpu_s_per_step"] for x in mine),
                "median_cpu_per_wall": statistics.median(x["cpu_per_wall"] for x in mine)}
        for v in variants:
            if v == baseline or baseline not in variants:
                continue
            paired = [get(r, v, t) / get(r, baseline, t) for r in rounds]
            out["ratios"][f"{v}_vs_{baseline}@{t}threads_wall"] = _stats(paired)
            if t == 1:
                paired = [get(r, baseline, t, "cpu_s_per_step") / get(r, v, t, "cpu_s_per_step")
                          for r in rounds]
                out["ratios"][f"{v}_vs_{baseline}@1thread_cpu"] = _stats(paired)
    if len(threads) > 1:
        for v in variants:
            paired = [get(r, v, threads[-1]) / get(r, v, threads[0]) for r in rounds]
            out["ratios"][f"{v}_{threads[-1]}threads_vs_{threads[0]}_wall"] = _stats(paired)
    return out


def _stats(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="fast,peft")
    parser.add_argument("--baseline", default="peft")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--steps", type=int, default=2, help="timed steps per setting per round")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=80)
    parser.add_argument("--p", type=int, default=10)
    parser.add_argument("--json", help="also write rows and summary here")
    args = parser.parse_args(argv)
    import torch

    warnings.filterwarnings("ignore")
    variants = args.variants.split(",")
    threads = [int(t) for t in args.threads.split(",")]
    steps = build_steps(variants, args.batch, args.tokens, args.p, "cpu")
    rows = run_rounds(steps, threads, args.rounds, args.steps)
    summary = summarise(rows, args.baseline)
    print(f"cpu, torch {torch.__version__}, batch {args.batch}, ~{args.tokens} tokens, p = {args.p}, "
          f"{args.rounds} rounds x {args.steps} steps per setting, order rotated per round")
    print(f"{'setting':10s} {'steps/s (median':>16s} {'min':>6s} {'max)':>6s} {'CPU s/step':>11s} "
          f"{'CPU/wall':>9s}")
    for name, s in summary["settings"].items():
        print(f"{name:10s} {s['median_steps_per_s']:16.3f} {s['min']:6.3f} {s['max']:6.3f} "
              f"{s['median_cpu_s_per_step']:11.2f} {s['median_cpu_per_wall']:9.2f}")
    for name, s in summary["ratios"].items():
        print(f"{name:34s} median {s['median']:.2f}x  (rounds: {s['min']:.2f}x .. {s['max']:.2f}x)")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "summary": summary}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
