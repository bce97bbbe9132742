"""Results-page section: binding affinity on the cold and the warm KIBA split.

Read from ``results/binding-affinity-splits.json`` (``python -m benchmarks.binding_affinity_splits``);
:mod:`make_results_page` places it on the page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS_FILE = "binding-affinity-splits.json"
#: the page's name for each method of the script's rows
METHODS = {
    "mean": "training mean",
    "protein-mean": "per-protein training mean",
    "ligand-mean": "per-ligand training mean",
    "additive": "additive protein + ligand (ridge on one-hot ids)",
    "nn": "nearest neighbour (frozen-base features)",
    "ridge": "ridge probe on frozen base",
    "mlp": "MLP probe on frozen base",
}
SPLITS = {"cold": "cold (no protein and no ligand shared between train and test)",
          "warm": "warm (the 5,000 pairs re-split at random, 70/10/20, seed 0)"}


def _name(row: dict[str, Any]) -> str:
    return f"Tag-LLM {row['ref']}" if row["method"] == "tag" else METHODS.get(row["method"], row["method"])


def ba_splits_section(directory: Path) -> list[str]:
    """One table: each method's test MSE and Pearson r on both splits."""
    path = directory / RESULTS_FILE
    if not path.is_file():
        return []
    document = json.loads(path.read_text())
    splits = document["splits"]
    names: list[str] = []
    by_split: dict[str, dict[str, dict[str, Any]]] = {}
    for split, part in splits.items():
        by_split[split] = {}
        for row in part["rows"]:
            name = _name(row)
            by_split[split][name] = row
            if name not in names:
                names.append(name)
    best = {split: min(rows.values(), key=lambda r: r["mse"])["mse"] for split, rows in by_split.items()}
    lines = ["## Binding affinity: cold and warm splits", "",
             "The KIBA sample of the protein plugin on two splits, every method on the same "
             f"records and the {document['base']} base ({document['dtype']}). Test MSE (Pearson r); "
             "bold: the best of the split; –: not measured.", ""]
    for split, part in splits.items():
        sizes = part["sizes"]
        lines.append(f"- **{split}** (`{part['dataset']}`): {SPLITS.get(split, split)}; "
                     f"{sizes['train']:,} / {sizes['validation']:,} / {sizes['test']:,} pairs.")
    lines += ["", "| method | " + " | ".join(splits) + " |", "|---|" + "---|" * len(splits)]
    for name in names:
        cells = []
        for split in splits:
            row = by_split[split].get(name)
            if row is None:
                cells.append("–")
                continue
            value = f"{row['mse']:.3f}"
            value = f"**{value}**" if row["mse"] == best[split] else value
            r = row["pearson"] if abs(row["pearson"]) >= 0.005 else 0.0  # no "-0.00"
            cells.append(f"{value} (r {r:.2f})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", f"Command: `{document['command']}`.", ""]
    return lines
