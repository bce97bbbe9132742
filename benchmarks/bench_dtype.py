"""float32 vs bfloat16 base, side by side in one run: training steps, predict, and the matmul peak.

On the default base (two copies, one per dtype; tags, heads and losses float32 in both):

- ``stage1``: a domain-tag step (LM loss on the span), batch ``--batch`` x ``--tokens``;
- ``stage2``: a function-tag step on the fast path (no-grad prefix + KV cache);
- ``stage3``: a ``<BindingAffinity>`` step from cached protein segments (KIBA pairs);
- ``predict``: one ``predict`` call; ``predict_batch``: ``--records`` records, batch 16;
- ``matmul``: a 2048 x 2048 matmul in each dtype (the machine's peak in this run).

Variants alternate round by round (``bench_setup.interleaved``); with one torch thread the
clock is process CPU time (a shared machine's pauses do not count), else wall time. The
achieved GFLOP/s of the bf16 stage-1 step counts its FLOPs with ``torch.utils.flop_counter``
and is compared with the bf16 matmul peak; ``--profile`` prints the step's top operators.

Goals (issue 19): every training step >= 1.8x faster in bf16, ``predict_batch`` >= 1.5x, the
bf16 stage-1 step at batch 16 x 64 >= 45 % of the bf16 matmul peak.

Run: ``OMP_NUM_THREADS=1 python -m benchmarks.bench_dtype [--repeats 3] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import warnings
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import torch

DTYPES = ("float32", "bfloat16")
GOALS = {"stage1": 1.8, "stage2": 1.8, "stage3": 1.8, "predict_batch": 1.5}
PEAK_GOAL = 0.45


def matmul_step(dtype: torch.dtype, n: int = 2048) -> tuple[Callable[[], object], float]:
    """A ``n x n`` matmul and its FLOPs."""
    a = torch.randn(n, n).to(dtype)
    b = torch.randn(n, n).to(dtype)
    return (lambda: a @ b), 2.0 * n**3


def training_step(trainer: Any, batch: Any, params: list[Any]) -> Callable[[], object]:
    """One optimiser-free step: loss, backward, clear gradients (what a step costs), with the
    attention kernels training uses (``training_attention``: eager for a bf16 base on CPU)."""
    from tagregistry.models.precision import training_attention

    def step() -> None:
        with training_attention(trainer.base, "cpu"):
            loss = trainer(batch)
            loss.backward()
        for p in params:
            p.grad = None

    return step


def step_flops(fn: Callable[[], object]) -> float:
    """FLOPs of one call (matmuls and attention, forward and backward)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn()
    return float(counter.get_total_flops())


def build_variants(loaded: Any, args: argparse.Namespace,
                   stack: ExitStack) -> dict[str, Callable[[], object]]:
    """The step and inference functions on one loaded base (``stack`` keeps registries open)."""
    from benchmarks import bench_segment_cache, bench_setup, bench_train
    from tagregistry.training.examples import collate_examples
    from tagregistry.training.trainable import TagTrainer

    name = str(loaded.dtype).removeprefix("torch.")
    fns: dict[str, Callable[[], object]] = {}
    s = bench_train._setup(args.batch, args.tokens, 10, "cpu", loaded=loaded)
    lm = TagTrainer(loaded.model, s["lm_table"], None, "lm")
    fns[f"stage1 {name}"] = training_step(lm, s["lm_batch"], list(lm.trainable_parameters().values()))
    fast = TagTrainer(loaded.model, s["table"], s["head"], "regression")
    s["batch"].targets = s["targets"]
    fns[f"stage2 {name}"] = training_step(fast, s["batch"], list(fast.trainable_parameters().values()))
    if "stage3" not in args.skip:
        examples, pad, _plain, cached = bench_segment_cache.build(4, 8, base=loaded)
        layout = cached.table.layout()
        for start in range(0, len(examples), 8):  # fill the segment store once, untimed
            cached.predict(collate_examples(examples[start:start + 8], layout, pad))
        batch = collate_examples(examples[: args.stage3_batch], layout, pad)
        fns[f"stage3 {name}"] = training_step(cached, batch,
                                              list(cached.trainable_parameters().values()))
    if "predict" not in args.skip:
        model, _ = stack.enter_context(bench_setup.bench_model(base=loaded))
        records = [{"smiles": "CC(=O)Oc1ccccc1C(=O)O" + "C" * (i % 7), "function": "BenchQED"}
                   for i in range(args.records)]
        fns[f"predict {name}"] = lambda: model.predict("BenchQED", smiles="CC(=O)Oc1ccccc1C(=O)O")
        fns[f"predict_batch {name}"] = lambda: model.predict_batch(records, batch_size=16,
                                                                   progress=False)
    return fns


def profile(fn: Callable[[], object], rows: int = 10) -> str:
    """The top operators of one call by self CPU time."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    fn()
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        fn()
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--stage3-batch", type=int, default=8)
    parser.add_argument("--records", type=int, default=64, help="predict_batch records")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip", default="", help="comma-separated: stage3, predict")
    parser.add_argument("--profile", action="store_true", help="top operators of the bf16 stage-1 step")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    args = parser.parse_args(argv)
    args.skip = set(filter(None, args.skip.split(",")))
    warnings.filterwarnings("ignore")
    from benchmarks import bench_setup
    from tagregistry.models.loading import load_base
    from tagregistry.models.precision import cpu_bf16_flags

    torch.manual_seed(0)
    fns: dict[str, Callable[[], object]] = {}
    flops: dict[str, float] = {}
    for dtype in DTYPES:
        step, flops[f"matmul {dtype}"] = matmul_step(getattr(torch, dtype))
        fns[f"matmul {dtype}"] = step
    clock = bench_setup.default_clock("cpu")
    with ExitStack() as stack:
        for dtype in DTYPES:
            fns.update(build_variants(load_base(device="cpu", dtype=dtype), args, stack))
        for dtype in DTYPES:
            flops[f"stage1 {dtype}"] = step_flops(fns[f"stage1 {dtype}"])
        times = bench_setup.interleaved(fns, args.repeats, clock=clock)
        profiled = profile(fns["stage1 bfloat16"]) if args.profile else ""
    seconds = {k: statistics.median(v) for k, v in times.items()}
    gflops = {k: flops[k] / seconds[k] / 1e9 for k in flops}
    peak = gflops["matmul bfloat16"]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), clock: {clock}; "
          f"native bf16 flags: {', '.join(sorted(cpu_bf16_flags())) or 'none'}")
    print(f"{'measure':<15} {'float32 s':>10} {'bf16 s':>10} {'bf16 speed-up':>14} {'goal':>6}")
    result: dict[str, Any] = {"threads": torch.get_num_threads(), "clock": clock,
                              "seconds": seconds, "gflops": gflops, "ratios": {}}
    for measure in ("matmul", "stage1", "stage2", "stage3", "predict", "predict_batch"):
        if f"{measure} float32" not in seconds:
            continue
        ratio = seconds[f"{measure} float32"] / seconds[f"{measure} bfloat16"]
        result["ratios"][measure] = ratio
        goal = GOALS.get(measure)
        verdict = "" if goal is None else f"{goal:.1f}x {'ok' if ratio >= goal else 'MISS'}"
        print(f"{measure:<15} {seconds[f'{measure} float32']:10.4f} {seconds[f'{measure} bfloat16']:10.4f} "
              f"{ratio:13.2f}x {verdict:>6}")
    share = gflops["stage1 bfloat16"] / peak
    result["stage1_share_of_bf16_peak"] = share
    print(f"matmul peak: float32 {gflops['matmul float32']:.1f}, bfloat16 {peak:.1f} GFLOP/s")
    print(f"stage-1 step ({args.batch} x {args.tokens}): {flops['stage1 bfloat16'] / 1e9:.0f} GFLOP; "
          f"float32 {gflops['stage1 float32']:.1f}, bfloat16 {gflops['stage1 bfloat16']:.1f} GFLOP/s = "
          f"{share:.0%} of the bf16 matmul peak (goal {PEAK_GOAL:.0%}: "
          f"{'ok' if share >= PEAK_GOAL else 'MISS'})")
    if profiled:
        print(profiled)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(result, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
