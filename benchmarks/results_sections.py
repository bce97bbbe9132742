"""Results-page sections for domain tags where they are used, and for the bf16 base.

Read from ``results/domain-<TAG>.json`` (``domain_perplexity.py`` / ``tagregistry evaluate``),
``results/dtype_parity.json`` (``dtype_parity.py``) and ``results/bench_dtype_cpu.json``
(``bench_dtype.py``); :mod:`make_results_page` places them on the page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DOMAIN_GOAL = 0.5  # issue 20: a domain tag halves perplexity in its composed prompts


def _read(path: Path) -> Any:
    return json.loads(path.read_text()) if path.is_file() else None


def domain_section(directory: Path) -> list[str]:
    """One table per domain tag file: every measured version, every layout."""
    files = sorted(directory.glob("domain-*.json"))
    if not files:
        return []
    lines = ["## Domain tags where they are used", "",
             "Held-out perplexity of a domain's spans (the molecule's or protein's own tokens) "
             "in the bare stage-1 layout and after the text each installed function's template "
             "puts before the span, with the trained tag, its untrained initialisation, and the "
             "tag's positions removed (the plain prompt). A domain tag earns its place where it "
             f"lowers perplexity against no tag; the goal is at least {DOMAIN_GOAL:.0%} in the "
             "composed prompts. Each tag runs on the base dtype `compose` picks for it (float32 "
             "for tags trained on a float32 base, bf16 for the new ones), which is why the "
             "no-tag columns differ slightly between versions.", ""]
    commands = []
    for path in files:
        for ref, row in _read(path).items():
            lines += [f"**{ref}** ({row['split']} split, {row['limit'] or 'all'} records)", "",
                      "| layout | context | tag | untrained | no tag | vs no tag |",
                      "|---|---|---|---|---|---|"]
            for layout in row["layouts"]:
                context = layout["context"].replace("|", "\\|")
                lines.append(f"| {layout['layout'].replace('+', ', ')} | `{context}` | "
                             f"{layout['tag']:.2f} | {layout['untrained']:.2f} | "
                             f"{layout['no_tag']:.2f} | {-layout['reduction']:+.0%} |")
            lines.append("")
            commands.append(row["command"])
    lines += ["Commands (registry with the tags; `tagregistry evaluate DOMAIN@V --limit N` prints "
              "the same table):", "", "```bash",
              *sorted(set(f"OMP_NUM_THREADS=1 {c}" for c in commands)), "```", ""]
    return lines


def precision_section(directory: Path) -> list[str]:
    """The bf16 base: speed ratios and what it does to the numbers."""
    speed = _read(directory / "bench_dtype_cpu.json")
    parity = _read(directory / "dtype_parity.json") or {}
    if speed is None and not parity:
        return []
    lines = ["## bf16 base", "",
             "Where the CPU multiplies bf16 natively the base runs in bf16 (tags, heads and "
             "losses stay float32). This machine: a 2-core AMD EPYC with `avx512_bf16` (no AMX).",
             ""]
    if speed is not None:
        ratios = speed["ratios"]
        lines += ["| measure | bf16 speed-up over float32 |", "|---|---|"]
        names = {"matmul": "2048^2 matmul", "stage1": "stage-1 step (16 x 64)",
                 "stage2": "stage-2 step (fast path)", "stage3": "stage-3 step (segment cache)",
                 "predict": "`predict`", "predict_batch": "`predict_batch` (64 records)"}
        lines += [f"| {names.get(k, k)} | {v:.2f}x |" for k, v in ratios.items()]
        lines += ["", f"The bf16 stage-1 step reaches {speed['stage1_share_of_bf16_peak']:.0%} of "
                  "the bf16 matmul peak measured in the same run; training uses eager attention "
                  "for a bf16 base on a CPU (PyTorch's CPU flash-attention backward made the step "
                  "1.36x slower). `OMP_NUM_THREADS=1 python -m benchmarks.bench_dtype --repeats 3 "
                  "--profile` (process CPU time, one thread).", ""]
    predict = {k.split(" ", 1)[1]: v for k, v in parity.items() if k.startswith("predict ")}
    if predict:
        lines += ["Shipped tags (trained on a float32 base) composed on both bases, test split:", "",
                  "| task | tags | n | MSE float32 | MSE bf16 | change per prediction (median / p90) |",
                  "|---|---|---|---|---|---|"]
        for task, row in predict.items():
            lines.append(f"| {task} | {' '.join(row['tags'])} | {row['n']} | "
                         f"{row['mse_float32']:.4g} | {row['mse_bfloat16']:.4g} | "
                         f"{row['relative_change_median']:.1%} / {row['relative_change_p90']:.1%} |")
        lines += ["", "So `compose` keeps float32 for tags trained on a float32 base (and says so "
                  "in `metadata['dtype']`); tags trained on a bf16 base run on one.", ""]
    for key, row in parity.items():
        if not key.startswith("train "):
            continue
        lines += [f"`{row['recipe']}` trained in both dtypes (test perplexity by seed):", "",
                  "| dtype | " + " | ".join(f"seed {s}" for s in row["seeds"]) + " |",
                  "|---|" + "---|" * len(row["seeds"])]
        for dtype, runs in row["runs"].items():
            cells = [f"{runs[str(s)]['test_perplexity']:.2f}" if str(s) in runs else "-"
                     for s in row["seeds"]]
            lines.append(f"| {dtype} | " + " | ".join(cells) + " |")
        lines.append("")
    commands = sorted({row["command"] for row in parity.values()})
    if commands:
        lines += ["```bash", *(c.replace("&& python", "&& OMP_NUM_THREADS=1 python") for c in commands),
                  "```", ""]
    return lines
