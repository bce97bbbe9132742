"""Results-page section: SELFIES zero-shot, one row per tag combination.

Read from ``results/selfies-zero-shot.json`` (``selfies_zero_shot.py``);
:mod:`make_results_page` places it on the page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS_FILE = "selfies-zero-shot.json"
#: the rows of one combination (``harness.taglm.selfies_zero_shot``), by how their method starts
COLUMNS = {"zero": "<SELFIES> + <QED> zero-shot", "bare": "<QED> with no domain tag",
           "smiles": "reference: <SMILES> + <QED>", "mean": "training mean"}


def _cell(row: dict[str, Any] | None, r: bool = True) -> str:
    if row is None:
        return "–"
    m = row["metrics"]
    return f"{m['mse']:.4f}" + (f" (r {m['pearson']:.2f})" if r else "")


def _cells(combination: dict[str, Any], every: list[dict[str, Any]]) -> dict[str, Any]:
    """Its rows by column; a row it lacks (``--zero-shot-only``) from the nearest combination
    stored before it with the same SMILES and QED tags (those rows do not depend on the SELFIES
    tag; versions are a registry's, and runs against one registry are stored together)."""
    index = every.index(combination)
    nearest_first = [*reversed(every[:index]), *every[index + 1:]]
    sources = [combination, *(c for c in nearest_first if c["tags"][1:] == combination["tags"][1:])]
    out = {}
    for key, prefix in COLUMNS.items():
        out[key] = next((r for c in sources for r in c["rows"] if r["method"].startswith(prefix)),
                        None)
    return out


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def selfies_section(directory: Path) -> list[str]:
    """The combinations measured, beside the training mean, no domain tag and SMILES."""
    path = directory / RESULTS_FILE
    if not path.is_file():
        return []
    document = json.loads(path.read_text())
    sizes = document["sizes"]
    scored = document["combinations"][0]["rows"][0]["metrics"]["n"]  # the SELFIES-encodable ones
    lines = ["## SELFIES zero-shot", "",
             f"`compose(\"SELFIES\", \"QED\")` with a `<QED>` trained only with `<SMILES>`, on the "
             f"`qed-nci` test molecules written as SELFIES ({scored} of {sizes['test']}; "
             f"{sizes['train']:,} training molecules give the mean). Each row: test MSE (Pearson r) "
             "of the composition, of the same `<QED>` with the SELFIES as plain text (no domain "
             "tag), and of `compose(\"SMILES\", \"QED\")` on the same molecules as SMILES.", ""]
    if document.get("notes"):
        lines += [_escape(document["notes"]), ""]
    lines += ["| tags | zero-shot | no domain tag | SMILES reference | training mean |",
              "|---|---|---|---|---|"]
    commands = []
    for combination in document["combinations"]:
        found = _cells(combination, document["combinations"])
        lines.append(f"| {_escape(combination['label'])} (`{' '.join(combination['tags'])}`) | "
                     f"{_cell(found['zero'])} | {_cell(found['bare'])} | {_cell(found['smiles'])} | "
                     f"{_cell(found['mean'], r=False)} |")
        commands.append(f"- {_escape(combination['label'])}: `OMP_NUM_THREADS=1 "
                        f"{combination['command']}`")
    lines += ["", '??? info "Commands and tag versions"', "",
              *[f"    {line}" for line in commands], ""]
    if document.get("versions"):
        lines += [f"    {_escape(document['versions'])}", ""]
    return lines
