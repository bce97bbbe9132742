"""One-off GPU check: fast function-tag step vs naive full step vs stage-1 step.

Self-contained and offline: builds a randomly initialised Llama (hidden 2048, 16 layers,
vocab 32000, bfloat16 by default) and times optimiser steps at batch 16, ~256 tokens,
p = 10, printing steps/s and peak CUDA memory for each. ``--tiny`` runs a 2-layer model on
the CPU as a smoke test.

Usage: ``python -m benchmarks.gpu_train_check [--layers 16] [--hidden 2048] [--tokens 256]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any


def build(args: argparse.Namespace) -> tuple[Any, Any]:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=args.vocab, hidden_size=args.hidden, intermediate_size=args.hidden * 11 // 4,
        num_hidden_layers=args.layers, num_attention_heads=max(1, args.hidden // 128),
        num_key_value_heads=max(1, args.hidden // 512), max_position_embeddings=4096,
    )
    torch.manual_seed(0)
    with torch.device(args.device):
        model = LlamaForCausalLM(config)
    model.to(dtype=args.torch_dtype).eval().requires_grad_(False)
    return model, config


def batches(args: argparse.Namespace, model: Any) -> dict[str, Any]:
    """Left-padded batches with a domain tag (p) early and a function tag (p) at the end."""
    import torch

    from tagregistry.engine.collate import PromptBatch
    from tagregistry.engine.splice import TagTable, mean_embedding_init
    from tagregistry.training.trainable import IGNORE, TagBatch

    p, n, length = args.p, args.batch, args.tokens
    gen = torch.Generator().manual_seed(0)
    lengths = [length - int(x) for x in torch.randint(0, 8, (n,), generator=gen)]
    ids = torch.zeros(n, length, dtype=torch.long)
    mask = torch.zeros(n, length, dtype=torch.long)
    rows = torch.full((n, length), -1, dtype=torch.long)
    values = torch.zeros(n, length, dtype=torch.bool)
    for b, real in enumerate(lengths):
        pad = length - real
        ids[b, pad:] = torch.randint(3, args.vocab, (real,), generator=gen)
        mask[b, pad:] = 1
        rows[b, pad + 4 : pad + 4 + p] = torch.arange(p)              # domain tag
        rows[b, length - p :] = torch.arange(p, 2 * p)                # function tag
        values[b, pad + 4 + p : length - p - 8] = True
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    prompts = PromptBatch(ids, mask, positions, rows, torch.full((n,), length - 1),
                          torch.full((n,), length - p), values, torch.tensor([length - r for r in lengths]))
    domain = mean_embedding_init(model, p, seed=1)
    function = mean_embedding_init(model, p, seed=2)
    targets = torch.randn(n, 1, generator=gen)
    # stage 1: the domain tag in front, LM loss on the following tokens, no function tag
    s1_rows = torch.where(rows >= p, torch.full_like(rows, -1), rows)
    s1 = PromptBatch(ids, mask, positions, s1_rows, torch.full((n,), length - 1),
                     torch.full((n,), length), values, prompts.pad)
    labels = torch.where(values, ids, torch.full_like(ids, IGNORE))
    return {
        "function": (TagTable({"D": domain, "F": function}, trainable=["F"]),
                     TagBatch(prompts, targets=targets)),
        "stage1": (TagTable({"D": domain}, trainable=True), TagBatch(s1, lm_labels=labels)),
    }


def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    import torch

    from tagregistry.heads import RegressionHead
    from tagregistry.specs import HeadSpec
    from tagregistry.training.trainable import TagTrainer

    model, _ = build(args)
    data = batches(args, model)
    cuda = args.device.startswith("cuda")
    rows = []
    for name, key, fast in (("fast function-tag step", "function", True),
                            ("naive full step", "function", False),
                            ("stage-1 domain step", "stage1", True)):
        table, batch = data[key]
        head = RegressionHead(args.hidden, HeadSpec(type="regression")) if key == "function" else None
        trainer = TagTrainer(model, table, head, "regression" if head else "lm").to(args.device)
        batch = batch.to(args.device)
        params = list(trainer.trainable_parameters().values())
        optimizer = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)

        def step(trainer: Any = trainer, batch: Any = batch, fast: bool = fast,
                 optimizer: Any = optimizer) -> float:
            loss = trainer(batch, fast=fast)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            return float(loss.detach())

        for _ in range(args.warmup):
            step()
        if cuda:
            torch.cuda.synchronize()
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        began = time.perf_counter()
        for _ in range(args.steps):
            loss = step()
        if cuda:
            torch.cuda.synchronize()
        elapsed = time.perf_counter() - began
        peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else float("nan")
        rows.append({"step": name, "steps_per_s": args.steps / elapsed, "peak_gib": peak,
                     "loss": loss})
        del trainer, optimizer
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="2-layer CPU smoke test")
    parser.add_argument("--hidden", type=int, default=2048)
    parser.add_argument("--layers", type=int, default=16)
    parser.add_argument("--vocab", type=int, default=32000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--p", type=int, default=10)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--dtype", default="bfloat16")
    parser.add_argument("--device", default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    import torch

    if args.tiny:
        args.hidden, args.layers, args.vocab, args.steps, args.warmup = 64, 2, 500, 2, 1
        args.dtype, args.device = "float32", args.device or "cpu"
    args.device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    args.torch_dtype = getattr(torch, args.dtype)
    rows = measure(args)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU"
    print(f"{name}: Llama hidden {args.hidden}, {args.layers} layers, vocab {args.vocab}, "
          f"{args.dtype}, batch {args.batch} x {args.tokens} tokens, p = {args.p}")
    print(f"{'step':26s} {'steps/s':>8s} {'peak GiB':>9s}")
    for r in rows:
        print(f"{r['step']:26s} {r['steps_per_s']:8.2f} {r['peak_gib']:9.2f}")
    fast, naive = rows[0]["steps_per_s"], rows[1]["steps_per_s"]
    print(f"fast / naive: {fast / naive:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
