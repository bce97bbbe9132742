"""The Results page's study sections: what the QED head reads, where it is fitted, and the
ablations. Their scripts (``readout_study.py``, ``refit_study.py``) were one-off studies and are
gone; the JSON they wrote stays in ``benchmarks/results/`` and the page names the commit whose
script produced it (``git show COMMIT:benchmarks/refit_study.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.results_format import commands_block, details, escape, fmt

#: summary written by ``readout_study.py summary`` (commit :data:`READOUT_COMMIT`)
READOUT_STUDY = "readout_study_qed_nci.json"


#: the last commits that had each study script: the scripts that wrote the studies' JSON
READOUT_COMMIT, REFIT_COMMIT = "1a67e76", "b0a9b2a"


def provenance(script: str, commit: str) -> str:
    """The line naming the deleted study script that wrote a section's JSON."""
    return (f"Measured by the one-off study `benchmarks/{script}` as of commit `{commit}` (deleted "
            f"since; `git show {commit}:benchmarks/{script}`); the commands below ran that script.")


def readout_section(directory: Path) -> list[str]:
    """The head-readout study (``benchmarks/readout_study.py``), when its summary exists."""
    path = directory / READOUT_STUDY
    if not path.is_file():
        return []
    study = json.loads(path.read_text())
    lines = ["## What the head reads (QED, qed-nci)", "", escape(study["summary"]), "",
             "| model | validation MSE | test MSE | Pearson r |", "|---|---|---|---|"]
    for row in study["rows"]:
        test = fmt(row["test_mse"]) if row.get("test_mse") is not None else "–"
        r = f"{row['test_r']:.3f}" if row.get("test_r") is not None else "–"
        lines.append(f"| {escape(row['model'])} | {fmt(row['val_mse'])} | {test} | {r} |")
    commands = commands_block([(row["model"], row["command"]) for row in study["rows"]])
    commands = [provenance("readout_study.py", READOUT_COMMIT), "", *commands]
    return lines + ["", *details("Commands", commands), escape(study["notes"]), ""]


#: written by ``python -m benchmarks.refit_study fit`` (and ``mlp``)
REFIT_STUDY = "refit_study_qed.json"
REFIT_MIXES = {"nci": "NCI", "moses": "MOSES", "mix": "NCI + MOSES", "balanced": "NCI + MOSES, balanced"}
REFIT_INTRO = (
    "Why QED@4 trailed the ridge probe on MOSES, and what QED@5 changed. One pass of the <SMILES>@1 + "
    "<QED>@{version} prompt per molecule (QED@3 and QED@4 share their tag vectors; only the heads differ) keeps every layer's mean over the function tag's positions "
    "(the tag's readout) and over the SMILES tokens (the probe's pooling, inside the tagged prompt); "
    "the product's ridge refit (`refit_ridge_head`, strength chosen on the training sources' "
    "validation molecules) is then fitted on NCI, on the 1,000 MOSES molecules, on both as in "
    "`qed-nci-moses`, or on both with `refit_balance: source` (each source weighs the same). "
    "Cells: test MSE on NCI / MOSES test / MOSES scaffold test. For comparison the ridge probe "
    "(fitted per data set on the plain prompt): {probes}."
)


def refit_section(directory: Path, documents: dict[str, dict[str, Any]]) -> list[str]:
    """The refit study (``benchmarks/refit_study.py``), when its summary exists."""
    path = directory / REFIT_STUDY
    if not path.is_file():
        return []
    study = json.loads(path.read_text())
    probes = []
    for task in ("qed-nci", "qed-moses", "qed-moses-scaffolds"):
        rows = [r for r in documents.get(task, {}).get("rows", []) if r["method"].startswith("ridge probe")]
        if rows:
            probes.append(f"{task} {fmt(rows[0]['metrics']['mse'])}")
    intro = REFIT_INTRO.format(version=study["qed_version"], probes=", ".join(probes) or "not measured")
    mixes = [m for m in REFIT_MIXES if any(r["train"] == m for r in study["rows"])]
    lines = ["## Where the head is fitted (QED, NCI and MOSES)", "", escape(intro), "",
             "| features | layers | " + " | ".join(f"head fitted on {REFIT_MIXES[m]}" for m in mixes) + " |",
             "|---|---|" + "---|" * len(mixes)]
    keys = list(dict.fromkeys((r["features"], tuple(r["layers"])) for r in study["rows"]))
    names = {"function": "function tag positions", "span": "SMILES tokens (tagged prompt)"}
    for kind, layers in keys:
        cells = []
        for mix in mixes:
            row = next(r for r in study["rows"] if (r["features"], tuple(r["layers"]), r["train"]) == (kind, layers, mix))
            cells.append(" / ".join(fmt(row[n]) for n in ("nci-test", "moses-test", "scaffolds-test")))
        lines.append(f"| {names[kind]} | {'+'.join(map(str, layers))} | " + " | ".join(cells) + " |")
    lines += ["", *details("Command", [provenance("refit_study.py", REFIT_COMMIT), "",
                                       f"`{study['command']}`"])]
    if study.get("mlp_rows"):
        mlp_names = {**names, "function+span": "both, side by side (`readout_values: true`)"}
        lines += ["The product's MLP head refit (`head_refit: mlp`: "
                  f"{study['mlp_rows'][0]['members']} MLPs of 256 units, early-stopped on the "
                  "validation molecules, averaged) on the same features, layers "
                  f"{'+'.join(map(str, study['mlp_rows'][0]['layers']))}, fitted on NCI + MOSES "
                  f"(`{study['mlp_command']}`):", "",
                  "| features | head fitted on both, plain | both, balanced |", "|---|---|---|"]
        for kind in dict.fromkeys(r["features"] for r in study["mlp_rows"]):
            cells = [" / ".join(fmt(r[n]) for n in ("nci-test", "moses-test", "scaffolds-test"))
                     for mix in ("mix", "balanced") for r in study["mlp_rows"]
                     if r["features"] == kind and r["train"] == mix]
            lines.append(f"| {mlp_names[kind]} | " + " | ".join(cells) + " |")
        lines.append("")
    if study.get("mlp_width_rows"):
        rows = study["mlp_width_rows"]
        lines += ["How wide the MLP head needs to be (both features side by side, balanced; the head "
                  "file holds hidden units x 4,608 float32 numbers: 576 x 4 layers x 2 readouts; "
                  f"`{study['mlp_width_command']}`):", "",
                  "| hidden units | head file | NCI / MOSES / scaffolds test MSE |", "|---|---|---|"]
        for row in rows:
            hidden, width = row["members"] * row["units"], 576 * len(row["layers"]) * 2
            lines.append(f"| {row['members']} x {row['units']} = {hidden} | {hidden * width * 4 / 1e6:.1f} MB | "
                         + " / ".join(fmt(row[n]) for n in ("nci-test", "moses-test", "scaffolds-test")) + " |")
        lines.append("")
    if study.get("mlp_source_rows"):
        rows = {r["train"]: r for r in study["mlp_source_rows"]}
        lines += ["The same refit on the SMILES tokens of the tagged prompt at the probe's six depths, "
                  "one head per data set (as the probes are fitted): fitted on NCI, NCI test "
                  f"{fmt(rows['nci']['nci-test'])}; fitted on MOSES, MOSES test "
                  f"{fmt(rows['moses']['moses-test'])} and scaffolds {fmt(rows['moses']['scaffolds-test'])} "
                  f"(`{study['mlp_source_command']}`).", ""]
    if study.get("notes"):
        lines += [escape(study["notes"]), ""]
    return lines + _ablation_lines(study)


ABLATIONS = {
    "shipped": "<SMILES> + trained <QED> (QED@4's tag vectors), p = 10",
    "no-domain-tag": "no domain tag: the SMILES as plain text + trained <QED>",
    "no-function-tag": "no function tag: the head reads the prompt's last token",
    "p1-untrained": "untrained <QED> (mean-embedding initialisation), p = 1",
    "p10-untrained": "untrained <QED> (mean-embedding initialisation), p = 10",
    "p20-untrained": "untrained <QED> (mean-embedding initialisation), p = 20",
}


def _ablation_lines(study: dict[str, Any]) -> list[str]:
    """Ablations of the QED prompt (``refit_study.py ablate``): ridge heads on NCI."""
    rows = study.get("ablation_rows")
    if not rows:
        return []
    lines = ["### Ablations (QED, qed-nci)", "",
             escape(f"Each row: the product's ridge refit on the first {rows[0]['train']:,} NCI training "
                     "molecules' features (mean over the function tag's positions at layers 7, 15, 22 "
                     "and 30; without a function tag, the last token at those layers), strength chosen "
                     "on the NCI validation split, scored on the NCI test split. On this base a tag "
                     "trained for 400 CPU steps barely differs from its initialisation (\"What the head "
                     f"reads\"), so the p rows use untrained tags. Reproduce: {study['ablation_command']}."),
             "", "| prompt | validation MSE | test MSE | Pearson r |", "|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {escape(ABLATIONS.get(row['variant'], row['variant']))} | "
                     f"{fmt(row['validation_mse'])} | {fmt(row['test_mse'])} | {row['test_r']:.3f} |")
    return lines + [""]
