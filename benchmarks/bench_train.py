"""Training-step throughput and peak memory: fast function-tag step vs naive vs PEFT.

Runs each variant in its own subprocess (honest peak memory) on the default base
(``load_base()``), batch 16, ~80-token inputs, p = 10:

- ``fast``: the function-tag step with frozen domain tags (no-grad prefix + KV cache);
- ``naive``: the same step with autograd through the whole sequence;
- ``peft``: PEFT prompt tuning with p virtual tokens and the same regression head;
- ``stage1``: a domain-tag step (tag in front, LM loss on the string);
- ``peft_lm``: PEFT prompt tuning with the LM loss on the same tokens (stage 1's twin).

Usage: ``python -m benchmarks.bench_train [--steps 4] [--warmup 1] [--json]``
(``pip install tagregistry[bench]`` for peft). Peak memory is the growth over the memory in
use before the timed steps: CUDA's peak allocation on GPUs, the sampled peak RSS on CPUs.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
import warnings
from typing import Any

VARIANTS = ("fast", "naive", "peft", "stage1", "peft_lm")
TEMPLATE = "Input: the molecule is {SMILES:smiles}. Output: its QED is {QED}"
ATOMS = ["C", "c", "N", "O", "(", ")", "=", "1", "2", "Cl", "F", "[C@@H]", "S", "#"]


def _rss_mb() -> float:
    """Current resident set size (Linux ``/proc``; falls back to the peak elsewhere)."""
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _RssSampler:
    """Peak RSS while the timed steps run (sampled every 2 ms in a thread)."""

    def __init__(self) -> None:
        import threading

        self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, _rss_mb())

    def __enter__(self) -> _RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


def _smiles(rng: random.Random, tokenizer: Any, target: int) -> str:
    text = ""
    while len(tokenizer(text, add_special_tokens=False)["input_ids"]) < target:
        text += rng.choice(ATOMS)
    return text


def _setup(batch: int, tokens: int, p: int, device: str, loaded: Any = None) -> dict[str, Any]:
    """Batches, tags and a head for the step variants (``loaded``: a base, default ``load_base``)."""
    import torch

    from tagregistry.engine.prompt import PromptEncoder
    from tagregistry.engine.splice import TagTable, mean_embedding_init
    from tagregistry.heads import RegressionHead
    from tagregistry.models.loading import load_base
    from tagregistry.specs import HeadSpec
    from tagregistry.training.examples import (
        collate_examples,
        encode_domain_text,
        encode_function_examples,
    )

    loaded = loaded or load_base(device=device)
    model, tok = loaded.model, loaded.tokenizer
    rng = random.Random(0)
    fixed = len(tok(TEMPLATE.replace("{SMILES:smiles}", "").replace("{QED}", ""),
                    add_special_tokens=False)["input_ids"]) + 2 * p + 1
    records = [{"smiles": _smiles(rng, tok, max(4, tokens - fixed + rng.randint(-3, 3))),
                "label": rng.random()} for _ in range(batch)]
    encoder = PromptEncoder(tok, None)
    hidden = loaded.hidden_size
    tags = {"SMILES": mean_embedding_init(model, p, seed=1), "QED": mean_embedding_init(model, p)}
    examples = encode_function_examples(encoder, TEMPLATE, ["smiles"], records,
                                        {"SMILES": p, "QED": p}, label_field="label",
                                        output="scalar")
    lm_examples = encode_domain_text(encoder, "SMILES", "smiles", records, p, 4096)
    table = TagTable(tags, trainable=["QED"])
    lm_table = TagTable({"SMILES": tags["SMILES"]}, trainable=True)
    head = RegressionHead(hidden, HeadSpec(type="regression"))
    return {
        "loaded": loaded, "table": table, "lm_table": lm_table, "head": head,
        "batch": collate_examples(examples, table.layout(), 0).to(loaded.device),
        "lm_batch": collate_examples(lm_examples, lm_table.layout(), 0).to(loaded.device),
        "targets": torch.tensor([[r["label"]] for r in records], device=loaded.device),
        "tokens": float(sum(len(e.prompt.input_ids) for e in examples) / len(examples)),
    }


def _step_fn(variant: str, s: dict[str, Any], p: int) -> tuple[Any, list[Any]]:
    import torch.nn.functional as F

    from tagregistry.training.trainable import TagTrainer

    model = s["loaded"].model
    if variant in ("fast", "naive"):
        trainer = TagTrainer(model, s["table"], s["head"], "regression")
        batch = s["batch"]
        batch.targets = s["targets"]
        return (lambda: trainer(batch, fast=variant == "fast")), list(
            trainer.trainable_parameters().values())
    if variant == "stage1":
        trainer = TagTrainer(model, s["lm_table"], None, "lm")
        batch = s["lm_batch"]
        return (lambda: trainer(batch)), list(trainer.trainable_parameters().values())
    from peft import PromptTuningConfig, TaskType, get_peft_model

    peft_model = get_peft_model(model, PromptTuningConfig(task_type=TaskType.CAUSAL_LM,
                                                          num_virtual_tokens=p))
    # PEFT prepends its p vectors to the same token sequence (tag positions hold ordinary ids)
    source = s["lm_batch"] if variant == "peft_lm" else s["batch"]
    ids = source.prompts.input_ids
    mask = source.prompts.attention_mask
    head = s["head"].to(ids.device)
    params = [p_ for p_ in peft_model.parameters() if p_.requires_grad]
    if variant == "peft_lm":
        labels = source.lm_labels

        def lm_step() -> Any:
            return peft_model(input_ids=ids, attention_mask=mask, labels=labels).loss

        return lm_step, params

    def step() -> Any:
        out = peft_model(input_ids=ids, attention_mask=mask, output_hidden_states=True,
                         logits_to_keep=1)
        return F.mse_loss(head(out.hidden_states[-1][:, -1].float()), s["targets"])

    return step, params + list(head.parameters())


def run_variant(variant: str, batch: int, tokens: int, p: int, steps: int, warmup: int,
                device: str) -> dict[str, Any]:
    """Time ``steps`` optimiser steps of one variant (after ``warmup``) in this process."""
    import torch

    warnings.filterwarnings("ignore")
    torch.manual_seed(0)
    s = _setup(batch, tokens, p, device)
    step, params = _step_fn(variant, s, p)
    optimizer = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)
    cuda = device.startswith("cuda")

    def one() -> None:
        loss = step()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    import gc

    gc.collect()
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
    base_rss = _rss_mb()
    with _RssSampler() as sampler:  # the peak includes the warm-up's first allocations
        for _ in range(warmup):
            one()
        if cuda:
            torch.cuda.synchronize()
        began, cpu_began = time.perf_counter(), time.process_time()
        for _ in range(steps):
            one()
        if cuda:
            torch.cuda.synchronize()
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    peak = ((torch.cuda.max_memory_allocated() - before) / 2**20 if cuda
            else sampler.peak - base_rss)
    return {"variant": variant, "steps_per_s": steps / elapsed, "cpu_s_per_step": cpu / steps,
            "threads": torch.get_num_threads(), "peak_mb": peak,
            "mean_tokens": s["tokens"], "trainable": sum(x.numel() for x in params),
            "device": device}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=80)
    parser.add_argument("--p", type=int, default=10)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--device", default=None)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--one", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    import torch

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if args.one:
        result = run_variant(args.one, args.batch, args.tokens, args.p, args.steps, args.warmup,
                             device)
        print("RESULT " + json.dumps(result), flush=True)
        return 0
    from tagregistry.models.loading import load_base

    load_base(device="cpu")  # converts and caches the default base once, outside the timings
    results = {}
    for variant in args.variants.split(","):
        cmd = [sys.executable, __file__, "--one", variant, "--batch", str(args.batch),
               "--tokens", str(args.tokens), "--p", str(args.p), "--steps", str(args.steps),
               "--warmup", str(args.warmup), "--device", device]
        run = subprocess.run(cmd, capture_output=True, text=True)
        lines = [x for x in run.stdout.splitlines() if x.startswith("RESULT ")]
        if run.returncode != 0 or not lines:
            print(f"{variant} failed:\n{run.stderr[-2000:]}", file=sys.stderr)
            return 1
        results[variant] = json.loads(lines[-1][len("RESULT "):])
        print(f"{variant:8s} {results[variant]['steps_per_s']:.3f} steps/s  "
              f"peak +{results[variant]['peak_mb']:.0f} MiB", file=sys.stderr, flush=True)
    ratios = {}
    if not device.startswith("cuda") and all(r["threads"] == 1 for r in results.values()):
        # one CPU thread: rate by process CPU time, which the scheduler's pauses on a shared
        # machine do not inflate (wall-clock steps/s stay in the table)
        for r in results.values():
            r["rate"] = 1.0 / r["cpu_s_per_step"]
        print("ratios by process CPU time (one thread)")
    else:
        for r in results.values():
            r["rate"] = r["steps_per_s"]
    if {"fast", "naive"} <= results.keys():
        ratios["fast_vs_naive"] = results["fast"]["rate"] / results["naive"]["rate"]
    if {"fast", "peft"} <= results.keys():
        ratios["fast_vs_peft"] = results["fast"]["rate"] / results["peft"]["rate"]
    if {"stage1", "peft_lm"} <= results.keys():
        ratios["stage1_vs_peft_lm"] = (results["stage1"]["rate"]
                                       / results["peft_lm"]["rate"])
    if args.json:
        print(json.dumps({"results": results, "ratios": ratios}, indent=2))
        return 0
    print(f"device {device}, batch {args.batch}, ~{args.tokens} tokens, p = {args.p}, "
          f"{args.steps} timed steps after {args.warmup} warm-up")
    print(f"{'variant':10s} {'steps/s':>9s} {'CPU s/step':>11s} {'peak MiB':>9s} {'tokens':>7s} "
          f"{'trainable':>10s}")
    for name, r in results.items():
        print(f"{name:10s} {r['steps_per_s']:9.3f} {r['cpu_s_per_step']:11.2f} {r['peak_mb']:9.0f} "
              f"{r['mean_tokens']:7.1f} "
              f"{r['trainable']:10d}")
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
