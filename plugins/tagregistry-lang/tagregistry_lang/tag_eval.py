"""The trained ``<Translate>`` on held-out help pages, on the same sample as the baselines.

    python -m tagregistry_lang.tag_eval --pair ES-PT --pair PT-ES --n 50 --json tags.json

Methods (each scored with chrF++ and BLEU, greedy decoding, one line):

- ``tags``: ``compose(SOURCE, TARGET, "Translate")``, the source and target language tags in
  the prompt (zero-shot for languages ``<Translate>`` was never trained on).
- ``plain-names``: the same ``<Translate>`` tag, but the languages named in words instead of
  by their tags (``Input: Spanish: ...\\nOutput: Portuguese:<Translate>``): what the domain
  tags add over naming the language. The tag was trained with language tags, not names.

Tags come from the registry (``$TAGREGISTRY_HOME``); the sample is
:func:`tagregistry_lang.baselines.sample_pairs` (the first ``n`` shuffled test pairs).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tagregistry.errors import InputError, TagRegistryError
from tagregistry_lang.baselines import print_score, sample_pairs, save_report
from tagregistry_lang.languages import get_language
from tagregistry_lang.metrics import translation_scores

METHODS = ("tags", "plain-names")


def plain_names_prompt(text: str, source: str, target: str) -> str:
    """The text before ``<Translate>`` when the languages are named in words."""
    return f"Input: {get_language(source).name}: {text}\nOutput: {get_language(target).name}:"


def translate_with_names(model: Any, texts: Sequence[str], source: str, target: str, *,
                         max_new_tokens: int, batch_size: int) -> list[str]:
    """``model``'s ``<Translate>`` after :func:`plain_names_prompt` (no language tags)."""
    from tagregistry.engine.generation import GenerationConfig, generate_texts
    from tagregistry.engine.prompt import EncodedPrompt, TagOccurrence

    binding = model.binding("Translate")
    length = _tag_length(model)
    prompts = []
    for text in texts:
        ids = list(model.encoder.encode_text(plain_names_prompt(text, source, target)).input_ids)
        start = len(ids)
        ids.extend([model.encoder.placeholder_id] * length)
        prompts.append(EncodedPrompt(input_ids=ids, tags=[TagOccurrence("Translate", start, length)],
                                     function_start=start, readout=len(ids) - 1))
    return generate_texts(model.model, model.tokenizer, prompts, model.table,
                          GenerationConfig(max_new_tokens=max_new_tokens), pad_id=model.pad_id,
                          stop=binding.spec.stop, batch_size=batch_size, progress=False)


def _tag_length(model: Any) -> int:
    """Vectors of the composed ``<Translate>`` (from an encoded prompt's tag)."""
    prompt = model.encode("Translate", text="a")
    return next(t.length for t in prompt.tags if t.name == "Translate")


def run_pair(registry: Any, source: str, target: str, *, n: int, methods: Sequence[str],
             max_new_tokens: int, batch_size: int, translate: str = "Translate",
             folder: str | Path | None = None, seed: int = 0) -> dict[str, Any]:
    """``{method: {chrf++, bleu, seconds}, "n", "outputs", "zero_shot_slots"}`` for one pair."""
    pairs = sample_pairs(source, target, n, folder, seed)
    if not pairs:
        raise InputError(f"no held-out {source}->{target} pairs")
    references = [p["translation"] for p in pairs]
    texts = [p["text"] for p in pairs]
    model = registry.compose(source, target, translate)
    results: dict[str, Any] = {"n": len(pairs), "outputs": {},
                               "translate": model.binding().record.ref,
                               "zero_shot_slots": list(model.binding().zero_shot_slots)}
    for method in methods:
        started = time.perf_counter()
        if method == "tags":
            outputs = model.generate_batch([{"text": t} for t in texts], batch_size=batch_size,
                                           max_new_tokens=max_new_tokens, progress=False)
        elif method == "plain-names":
            outputs = translate_with_names(model, texts, source, target,
                                           max_new_tokens=max_new_tokens, batch_size=batch_size)
        else:
            raise InputError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
        outputs = [o.strip() for o in outputs]
        scores = translation_scores(outputs, references)
        results[method] = {**{k: round(v, 2) for k, v in scores.items()},
                           "seconds": round(time.perf_counter() - started, 1)}
        results["outputs"][method] = outputs
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tagregistry_lang.tag_eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pair", action="append", metavar="SRC-TGT", required=True,
                        help="language pair, e.g. ES-PT (repeatable)")
    parser.add_argument("--n", type=int, default=50, help="held-out sentences per pair")
    parser.add_argument("--method", action="append", choices=METHODS, help="default: all")
    parser.add_argument("--translate", default="Translate", help="the function tag (e.g. Translate@2)")
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--folder", help="LibreOffice help folder (default: the fetched copy)")
    parser.add_argument("--json", metavar="FILE", help="also write scores and outputs as JSON")
    args = parser.parse_args(argv)
    methods = args.method or list(METHODS)
    try:
        from tagregistry.registry import Registry

        pairs = [p.upper().split("-", 1) for p in args.pair]
        if any(len(p) != 2 for p in pairs):
            raise InputError("write --pair as SRC-TGT, e.g. ES-PT")
        registry = Registry()
        report: dict[str, Any] = {"n": args.n, "pairs": {}}
        for source, target in pairs:
            result = run_pair(registry, source, target, n=args.n, methods=methods,
                              max_new_tokens=args.max_new_tokens, batch_size=args.batch_size,
                              translate=args.translate, folder=args.folder)
            report["pairs"][f"{source}-{target}"] = result
            for method in methods:
                print_score(result["translate"], source, target, method, result["n"], result[method])
            save_report(args.json, report)
    except TagRegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
