"""The Results page's protein section: the plugin's baselines and its shipped tags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.results_format import details, escape, fmt

#: written by ``benchmarks/baselines_protein.py`` and ``benchmarks/gpu/train_protein_pack.py``
PROTEIN_BASELINES = "baselines_protein_cpu.json"
PROTEIN_TAGS = "protein_tags_cpu.json"
PROTEIN_TASKS = {"binding-affinity": "BindingAffinity", "antimicrobial": "Antimicrobial",
                 "descriptor": "Descriptor"}
PROTEIN_BASELINE_COMMAND = ("OMP_NUM_THREADS=1 python -m benchmarks.baselines_protein "
                            "binding-affinity antimicrobial descriptor; the ridge-probe rows: "
                            "the same with --probe --cache DIR at commit 162cc2c (the probe's own "
                            "prompt and pooling; since then the probe is the product's ridge "
                            "baseline, --probe --home DIR: antimicrobial ROC-AUC 0.970, accuracy "
                            "0.924)")


def _metric_cells(row: dict[str, Any], names: list[str]) -> str:
    cells = []
    for name in names:
        value = row.get(name)
        cells.append("–" if value is None else (f"{value:.3f}" if name in ("pearson", "roc_auc", "accuracy")
                                                else fmt(value)))
    return " | ".join(cells)


def protein_section(directory: Path) -> list[str]:
    """The protein plugin's tasks: baselines and the shipped tags, when their JSON exists."""
    path = directory / PROTEIN_BASELINES
    if not path.is_file():
        return []
    baselines = json.loads(path.read_text())
    tags_path = directory / PROTEIN_TAGS
    tags = json.loads(tags_path.read_text()) if tags_path.is_file() else {}
    lines = ["## Protein plugin", "",
             "The protein plugin's test splits (`docs/guides/protein-plugin.md`). The KIBA split is "
             "cold on both sides: no test protein and no test ligand occurs in training, so the "
             "per-protein and per-ligand means fall back to the training mean. Each Tag-LLM row "
             "says how it was scored and trained.", "",
             *details("Commands", [f"- baselines: `{PROTEIN_BASELINE_COMMAND}`",
                                   f"- shipped tags: `{tags.get('command', '–')}`"])]
    for task, function in PROTEIN_TASKS.items():
        document = baselines.get(task)
        if document is None:
            continue
        names = (["roc_auc", "accuracy"] if task == "antimicrobial" else ["mse", "mae", "pearson"])
        sizes = document["sizes"]
        lines += [f"### {task}", "",
                  f"`{function}`: {sizes['train']:,} train / {sizes['validation']:,} validation / "
                  f"{sizes['test']:,} test.", "",
                  "| method | " + " | ".join(n.replace("_", "-") for n in names) + " | notes |",
                  "|---|" + "---|" * (len(names) + 1)]
        for row in document["baselines"]:
            notes = "; ".join(str(row[k]) for k in ("chosen", "covered") if row.get(k))
            lines.append(f"| {escape(row['baseline'])} | {_metric_cells(row, names)} | {escape(notes)} |")
        scored = (tags.get("test") or {}).get(function)
        trained = (tags.get("training") or {}).get(function)
        how = "compose + predict_batch on the loaded pack"
        if scored is None and trained is not None:  # the training run's own test pass
            scored = {k.removeprefix("test_"): v for k, v in trained["metrics"].items()
                      if k.startswith("test_")}
            how = "the training run's test pass"
        if scored:
            budget = how
            if trained is not None:
                budget += (f"; {trained['steps']} steps, {trained['seconds']:,.0f} s training on "
                           f"{tags.get('device')}")
            lines.append(f"| **Tag-LLM** (shipped `<{function}>`) | {_metric_cells(scored, names)} | "
                         f"{budget} |")
        lines.append("")
    protein = (tags.get("training") or {}).get("Protein")
    if protein is not None:
        m = protein["metrics"]
        lines += [f"Shipped `<Protein>` (stage 1): {protein['steps']} steps, test next-residue loss "
                  f"{m['test_loss']:.3f} (perplexity {m['test_perplexity']:.1f}).", ""]
    return lines
