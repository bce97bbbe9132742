"""What a Translate tag must beat, on held-out help pages: copying the source, and the frozen
base prompted zero-shot and few-shot (plain text, no tags), scored with chrF++ and BLEU.

    python -m tagregistry_lang.baselines --base smollm2-135m --pair ES-PT --pair EN-FR --n 50

The sample is the first ``n`` test-split pairs of 3 to 40 source words after a seeded
shuffle; few-shot examples are the first ``shots`` train-split pairs of 5 to 20 words after
the same shuffle. Generation is greedy and stops at a newline.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tagregistry.errors import InputError, TagRegistryError
from tagregistry_lang.help_corpus import load_help_pairs
from tagregistry_lang.languages import get_language
from tagregistry_lang.metrics import translation_scores

METHODS = ("copy", "zero-shot", "few-shot")


def _shuffled(records: list[dict[str, Any]], seed: int, low: int, high: int) -> list[dict[str, Any]]:
    chosen = [r for r in records if low <= len(r["text"].split()) <= high]
    random.Random(seed).shuffle(chosen)
    return chosen


def sample_pairs(source: str, target: str, n: int, folder: str | Path | None = None,
                 seed: int = 0) -> list[dict[str, Any]]:
    """``n`` held-out (test split) pairs of 3 to 40 source words."""
    return _shuffled(load_help_pairs("test", source, target, folder), seed, 3, 40)[:n]


def shot_pairs(source: str, target: str, shots: int, folder: str | Path | None = None,
               seed: int = 0) -> list[dict[str, Any]]:
    """``shots`` training-split pairs of 5 to 20 source words (few-shot examples)."""
    return _shuffled(load_help_pairs("train", source, target, folder), seed, 5, 20)[:shots]


def zero_shot_prompt(text: str, source: str, target: str) -> str:
    """The languages named in an instruction and as line labels."""
    src, tgt = get_language(source).name, get_language(target).name
    return f"Translate this {src} text into {tgt}.\n{src}: {text}\n{tgt}:"


def few_shot_prompt(text: str, source: str, target: str, shots: Sequence[dict[str, Any]]) -> str:
    """:func:`zero_shot_prompt` with solved examples before the sentence."""
    src, tgt = get_language(source).name, get_language(target).name
    examples = "".join(f"{src}: {s['text']}\n{tgt}: {s['translation']}\n" for s in shots)
    return f"Translate {src} text into {tgt}.\n{examples}{src}: {text}\n{tgt}:"


def translate_prompts(base: Any, prompts: Sequence[str], max_new_tokens: int,
                      batch_size: int) -> list[str]:
    """The base's greedy one-line continuation of each prompt, stripped."""
    from tagregistry.engine.generation import generate_from_text

    out = generate_from_text(base, prompts, max_new_tokens=max_new_tokens, stop=["\n"],
                             batch_size=batch_size, progress=False)
    return [text.strip() for text in out]


def run_pair(base: Any, source: str, target: str, *, n: int, shots: int, methods: Sequence[str],
             max_new_tokens: int, batch_size: int, folder: str | Path | None = None,
             seed: int = 0) -> dict[str, Any]:
    """Scores of each method on one language pair: ``{method: {chrf++, bleu, seconds}}``."""
    pairs = sample_pairs(source, target, n, folder, seed)
    if not pairs:
        raise InputError(f"no held-out {source}->{target} pairs")
    references = [p["translation"] for p in pairs]
    examples = shot_pairs(source, target, shots, folder, seed) if "few-shot" in methods else []
    results: dict[str, Any] = {"n": len(pairs), "outputs": {}}
    for method in methods:
        started = time.perf_counter()
        if method == "copy":
            outputs = [p["text"] for p in pairs]
        elif method == "zero-shot":
            prompts = [zero_shot_prompt(p["text"], source, target) for p in pairs]
            outputs = translate_prompts(base, prompts, max_new_tokens, batch_size)
        elif method == "few-shot":
            prompts = [few_shot_prompt(p["text"], source, target, examples) for p in pairs]
            outputs = translate_prompts(base, prompts, max_new_tokens, batch_size)
        else:
            raise InputError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
        scores = translation_scores(outputs, references)
        results[method] = {**{k: round(v, 2) for k, v in scores.items()},
                           "seconds": round(time.perf_counter() - started, 1)}
        results["outputs"][method] = outputs
    return results


def print_score(label: str, source: str, target: str, method: str, n: int,
                row: dict[str, Any]) -> None:
    """One tab-separated line per pair and method, as every evaluation command prints it."""
    print(f"{label}\t{source}->{target}\t{method}\tn={n}\t"
          f"chrF++ {row['chrf++']:.1f}\tBLEU {row['bleu']:.1f}\t{row['seconds']:.0f}s", flush=True)


def save_report(path: str | Path | None, report: dict[str, Any]) -> None:
    """Write the JSON report to ``path`` (if given); called after every pair, so a long run
    keeps what it measured."""
    if path:
        Path(path).write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tagregistry_lang.baselines",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="smollm2-135m", help="named base, Hub id or folder")
    parser.add_argument("--pair", action="append", metavar="SRC-TGT",
                        help="language pair, e.g. ES-PT (repeatable; default ES-PT and EN-FR)")
    parser.add_argument("--n", type=int, default=50, help="held-out sentences per pair")
    parser.add_argument("--shots", type=int, default=3, help="few-shot examples")
    parser.add_argument("--method", action="append", choices=METHODS,
                        help="baselines to run (repeatable; default all)")
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--folder", help="LibreOffice help folder (default: the fetched copy)")
    parser.add_argument("--dtype", help="base dtype (default: bf16 where the CPU multiplies it)")
    parser.add_argument("--json", metavar="FILE", help="also write scores and outputs as JSON")
    args = parser.parse_args(argv)
    try:
        from tagregistry.models.loading import load_base

        pairs = [p.upper().split("-", 1) for p in (args.pair or ["ES-PT", "EN-FR"])]
        if any(len(p) != 2 for p in pairs):
            raise InputError("write --pair as SRC-TGT, e.g. ES-PT")
        base = load_base(args.base, dtype=args.dtype)
        report: dict[str, Any] = {"base": str(base.record), "dtype": str(base.dtype),
                                  "n": args.n, "shots": args.shots, "pairs": {}}
        for source, target in pairs:
            result = run_pair(base, source, target, n=args.n, shots=args.shots,
                              methods=args.method or list(METHODS),
                              max_new_tokens=args.max_new_tokens, batch_size=args.batch_size,
                              folder=args.folder)
            report["pairs"][f"{source}-{target}"] = result
            for method in args.method or METHODS:
                print_score(args.base, source, target, method, result["n"], result[method])
            save_report(args.json, report)
    except TagRegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
