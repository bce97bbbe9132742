"""Results-page section for translation: the paper's Table 1 layout, ours beside the paper's.

Reads ``results/translation-gemma3-270m.json``, which this script writes from the JSON files
of ``python -m tagregistry_lang.baselines --json`` and ``python -m tagregistry_lang.tag_eval
--json`` (scores only; the outputs stay in those files):

    python -m benchmarks.results_translation baselines.json [...] tags.json [...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
FILE = "translation-gemma3-270m.json"
#: the paper's Table 1 (Tag-LLM on LLaMA-7B, spBLEU on FLORES-101; ../shared/PAPER.md)
PAPER = {"EN-FR": 40.5, "FR-EN": 45.7, "ES-PT": 24.6, "PT-ES": 27.8}
SEEN = ("EN-FR", "FR-EN", "EN-DE", "DE-EN")
ZERO_SHOT = ("ES-PT", "PT-ES")
#: columns in order: method key, heading
COLUMNS = (("copy", "copy source"), ("zero-shot", "base zero-shot"),
           ("few-shot", "base few-shot (3)"), ("plain-names", "`<Translate>`, languages in words"),
           ("prompt-tuning", "PEFT prompt tuning"), ("tags", "**`<Translate>` + language tags**"))


def merge(files: list[Path]) -> dict[str, Any]:
    """Scores (chrF++, BLEU) by pair and method from baseline and tag-evaluation reports."""
    pairs: dict[str, dict[str, Any]] = {}
    out: dict[str, Any] = {"pairs": pairs, "sources": []}
    for path in files:
        report = json.loads(path.read_text())
        out["sources"].append(path.name)
        for pair, result in report["pairs"].items():
            row = pairs.setdefault(pair, {"n": result["n"]})
            if row["n"] != result["n"]:
                raise SystemExit(f"{path}: {pair} has n={result['n']}, other files {row['n']}")
            for method, scores in result.items():
                if isinstance(scores, dict) and "chrf++" in scores:
                    row[method] = {"chrf++": scores["chrf++"], "bleu": scores["bleu"]}
            if "translate" in result:
                row["translate"] = result["translate"]
    return out


def _cell(row: dict[str, Any], method: str) -> str:
    scores = row.get(method)
    return "–" if scores is None else f"{scores['chrf++']:.1f} / {scores['bleu']:.1f}"


def translation_section(directory: Path = RESULTS) -> list[str]:
    """The section's Markdown lines (none until the results file exists)."""
    path = directory / FILE
    if not path.is_file():
        return []
    document = json.loads(path.read_text())
    pairs = document["pairs"]
    lines = ["## Translation: seen and zero-shot language pairs (Table 1 layout)", "",
             document.get("intro", ""), "",
             "| pair | paper: Tag-LLM, LLaMA-7B, spBLEU (FLORES-101) | n | "
             + " | ".join(h for _, h in COLUMNS) + " |",
             "|---|---|---|" + "---|" * len(COLUMNS)]
    for group, names in (("seen", SEEN), ("zero-shot", ZERO_SHOT)):
        for pair in names:
            if pair not in pairs:
                continue
            row = pairs[pair]
            paper = PAPER.get(pair)
            lines.append(f"| {pair.replace('-', '→')} ({group}) | "
                         f"{'–' if paper is None else paper} | {row['n']} | "
                         + " | ".join(_cell(row, m) for m, _ in COLUMNS) + " |")
    lines += ["", document.get("notes", ""), ""]
    commands = document.get("commands", [])
    if commands:
        lines += ["<details><summary>Commands</summary>", "", "```bash", *commands, "```", "",
                  "</details>", ""]
    return lines


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print(__doc__)
        return 1
    target = RESULTS / FILE
    kept = json.loads(target.read_text()) if target.is_file() else {}
    merged = {**{k: v for k, v in kept.items() if k not in ("pairs", "sources")},
              **merge([Path(a) for a in args])}
    target.write_text(json.dumps(merged, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
