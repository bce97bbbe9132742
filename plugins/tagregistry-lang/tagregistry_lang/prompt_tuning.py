"""PEFT prompt tuning on the pairs and budget of ``<Translate>``, scored on the same sample.

    python -m tagregistry_lang.prompt_tuning --steps 200 --pair ES-PT --pair EN-FR --json pt.json

A soft prompt of ``--virtual-tokens`` vectors (PEFT ``PromptTuningConfig``) in front of
``"{Source}: {text}\\n{Target}:"`` (the languages in words: prompt tuning has no language
tags), trained with the LM loss on the reference translation plus end-of-sequence, on the
records of the ``<Translate>`` recipe (``libreoffice-help-pair-mix``, EN<->FR and EN<->DE,
at most 20 words) with its optimiser settings (AdamW, cosine, 3% warm-up). Unlike the tag,
the soft prompt sits before the text, so every position takes part in the backward pass.
Needs ``peft`` (``pip install 'tagregistry-lang[peft]'``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

from tagregistry.errors import InputError, TagRegistryError
from tagregistry_lang.baselines import sample_pairs, save_report
from tagregistry_lang.help_corpus import SEEN_PAIRS, load_help_pair_mix
from tagregistry_lang.languages import get_language
from tagregistry_lang.metrics import translation_scores


def plain_prompt(text: str, source: str, target: str) -> str:
    """The text after the soft prompt."""
    return f"{get_language(source).name}: {text}\n{get_language(target).name}:"


def _batch(tokenizer: Any, records: Sequence[dict[str, Any]]) -> tuple[Any, Any, Any]:
    """Right-padded ids, mask and labels (the translation and EOS only)."""
    import torch

    rows, labels = [], []
    for r in records:
        prompt = tokenizer(plain_prompt(r["text"], r["source_language"], r["target_language"]))["input_ids"]
        answer = tokenizer(" " + r["translation"], add_special_tokens=False)["input_ids"]
        answer = answer + [tokenizer.eos_token_id]
        rows.append(prompt + answer)
        labels.append([-100] * len(prompt) + answer)
    width = max(len(r) for r in rows)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros_like(ids)
    target = torch.full_like(ids, -100)
    for b, (row, label) in enumerate(zip(rows, labels, strict=True)):
        ids[b, :len(row)] = torch.tensor(row)
        mask[b, :len(row)] = 1
        target[b, :len(label)] = torch.tensor(label)
    return ids, mask, target


def train(base: Any, records: list[dict[str, Any]], *, steps: int, batch_size: int, lr: float,
          virtual_tokens: int, seed: int = 0) -> tuple[Any, dict[str, Any]]:
    """The PEFT-wrapped base with a trained soft prompt, and training details."""
    import random

    import torch

    try:
        from peft import PromptTuningConfig, TaskType, get_peft_model
    except ImportError as exc:
        raise InputError("prompt tuning needs peft: pip install 'tagregistry-lang[peft]'") from exc
    from tagregistry.training.schedule import lr_factor

    torch.manual_seed(seed)
    model = get_peft_model(base.model, PromptTuningConfig(task_type=TaskType.CAUSAL_LM,
                                                          num_virtual_tokens=virtual_tokens))
    params = [p for p in model.parameters() if p.requires_grad]
    for p in params:
        p.data = p.data.float()
    optimiser = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    started, losses = time.perf_counter(), []
    model.train()
    for step in range(steps):
        chosen = [records[order[(step * batch_size + i) % len(order)]] for i in range(batch_size)]
        ids, mask, labels = _batch(base.tokenizer, chosen)
        for group in optimiser.param_groups:
            group["lr"] = lr * lr_factor(step, steps, 0.03, "cosine")
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss.float()
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimiser.step()
        losses.append(float(loss.detach()))
    model.eval()
    details = {"steps": steps, "batch_size": batch_size, "lr": lr, "virtual_tokens": virtual_tokens,
               "train_seconds": round(time.perf_counter() - started, 1),
               "final_loss": round(sum(losses[-10:]) / len(losses[-10:]), 4),
               "trainable_parameters": sum(p.numel() for p in params)}
    return model, details


def translate(model: Any, tokenizer: Any, texts: Sequence[str], source: str, target: str, *,
              max_new_tokens: int, batch_size: int) -> list[str]:
    """Greedy one-line translations by the prompt-tuned model (left-padded batches)."""
    import torch

    out = []
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        for start in range(0, len(texts), batch_size):
            prompts = [plain_prompt(t, source, target) for t in texts[start:start + batch_size]]
            enc = tokenizer(prompts, return_tensors="pt", padding=True)
            with torch.inference_mode():
                new = model.generate(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                                     max_new_tokens=max_new_tokens, do_sample=False,
                                     stop_strings=["\n"], tokenizer=tokenizer)
            for row in new[:, enc["input_ids"].shape[1]:]:
                out.append(tokenizer.decode(row, skip_special_tokens=True).split("\n", 1)[0].strip())
    finally:
        tokenizer.padding_side = side
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tagregistry_lang.prompt_tuning",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="gemma-3-270m")
    parser.add_argument("--pair", action="append", metavar="SRC-TGT", required=True)
    parser.add_argument("--n", type=int, default=50, help="held-out sentences per pair")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--virtual-tokens", type=int, default=10)
    parser.add_argument("--limit", type=int, default=4000, help="training records")
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--folder", help="LibreOffice help folder (default: the fetched copy)")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    try:
        from tagregistry.models.loading import load_base

        pairs = [p.upper().split("-", 1) for p in args.pair]
        if any(len(p) != 2 for p in pairs):
            raise InputError("write --pair as SRC-TGT, e.g. ES-PT")
        base = load_base(args.base)
        records = load_help_pair_mix("train", SEEN_PAIRS, args.folder, args.limit, max_words=20)
        model, details = train(base, records, steps=args.steps, batch_size=args.batch_size,
                               lr=args.lr, virtual_tokens=args.virtual_tokens)
        print(f"trained: {details}", flush=True)
        report: dict[str, Any] = {"n": args.n, "training": details, "pairs": {}}
        for source, target in pairs:
            sample = sample_pairs(source, target, args.n, args.folder)
            started = time.perf_counter()
            outputs = translate(model, base.tokenizer, [p["text"] for p in sample], source, target,
                                max_new_tokens=args.max_new_tokens, batch_size=8)
            scores = translation_scores(outputs, [p["translation"] for p in sample])
            row = {**{k: round(v, 2) for k, v in scores.items()},
                   "seconds": round(time.perf_counter() - started, 1)}
            report["pairs"][f"{source}-{target}"] = {"n": len(sample), "prompt-tuning": row,
                                                     "outputs": {"prompt-tuning": outputs}}
            print(f"prompt-tuning\t{source}->{target}\tn={len(sample)}\tchrF++ {row['chrf++']:.1f}"
                  f"\tBLEU {row['bleu']:.1f}\t{row['seconds']:.0f}s", flush=True)
            save_report(args.json, report)
    except TagRegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
