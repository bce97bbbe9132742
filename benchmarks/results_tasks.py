"""The Results page's per-task sections: one table per ``baselines-<task>.json`` (rows from the
benchmark scripts and from ``tagregistry evaluate --json``), the tag recipes and the paper's
QED column beside ours."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.results_evaluate import merge_evaluations
from benchmarks.results_format import commands_block, details, escape, fmt
from benchmarks.results_text import COUNTERPART, PAPER_QED

RESULTS = Path(__file__).resolve().parent / "results"
TASK_ORDER = ["qed-nci", "qed-moses", "qed-moses-scaffolds", "logp-nci", "logp-moses", "tpsa-nci", "tpsa-moses",
              "qed-selfies-zeroshot"]


def load(directory: Path = RESULTS) -> dict[str, dict[str, Any]]:
    """Task name -> its results document."""
    found = {}
    for path in sorted(directory.glob("baselines-*.json")):
        document = json.loads(path.read_text())
        found[document["task"]] = document
    return merge_evaluations(found, directory)


def _tag_budget(tag: dict[str, Any]) -> str:
    """``QED@1: stage 2, 200 steps x 16, lr 0.002, p = 10, qed-nci (3,000 train)``."""
    source = tag.get("source") or {}
    hyper = (source.get("recipe") or {}).get("hyper") or {}
    data = source.get("data") or {}
    if not hyper:
        return f"{tag['ref']}: no training recipe recorded"
    train = (data.get("sizes") or {}).get("train")
    where = f"{data.get('dataset', 'file')}" + (f" ({train:,} train)" if train else "")
    head = ""
    if hyper.get("head_hidden"):
        reads = " and the SMILES tokens" if hyper.get("readout_values") else ""
        head = (f", head: {hyper.get('refit_members', 1)} averaged MLPs ({hyper['head_hidden']} "
                f"hidden units in all) on the function tag{reads}")
    return (f"{tag['ref']}: stage {source.get('stage')}, {source.get('steps')} steps x "
            f"{hyper.get('batch_size')}, lr {hyper.get('lr'):g}, p = {hyper.get('n_vectors')}, "
            f"{where}{head}")


def task_section(document: dict[str, Any]) -> list[str]:
    sizes = document["sizes"]
    lines = [f"## {document['task']}", ""]
    lines.append(f"Data set `{document['dataset']}`, function `{document['function']}`, "
                 f"test split `{document['test_split']}`; {sizes['train']:,} train / "
                 f"{sizes['validation']:,} validation / {sizes['test']:,} test molecules.")
    if document.get("note"):
        lines.append(f"{escape(document['note'])}.")
    lines += ["", "| method | test MSE | MAE | Pearson r | n |", "|---|---|---|---|---|"]
    for row in document["rows"]:
        m = row["metrics"]
        pearson = 0.0 if abs(m["pearson"]) < 5e-4 else m["pearson"]
        lines.append(f"| {escape(row['method'])} | {fmt(m['mse'])} | {fmt(m['mae'])} | "
                     f"{pearson:.3f} | {m['n']} |")
    notes = []
    for row in document["rows"]:
        c = row.get("choice")
        if c and row["method"].startswith("ridge probe"):
            notes += [f"Ridge probe choice (validation MSE {fmt(c['validation_mse'])}): "
                      f"{c['pooling']} pooling, {c['view']}, alpha {c['alpha']:g}.", ""]
        elif c and row["method"].startswith("MLP probe"):
            notes += [f"MLP probe: {c['members']} MLPs of {c['hidden'] // c['members']} units "
                      f"averaged (the product's `head_refit: mlp`), {c['pooling']} pooling, "
                      f"{c['view']}; best validation epoch {c['mlp_mean_epochs']:.0f} on average.", ""]
    for row in (r for r in document["rows"] if "steps" in r):
        notes += [f"{escape(row['method'])}: {row['steps']} steps of batch {row['batch']}, "
                  f"lr {row['lr']:g}, {row['trainable_parameters']:,} trainable parameters, "
                  f"{row['train_seconds']} s on {row['device']}.", ""]
    notes += commands_block([(row["method"], row["command"]) for row in document["rows"]])
    return lines + [""] + details("Choices, budgets and commands", notes)


def tag_recipes(documents: dict[str, dict[str, Any]]) -> list[str]:
    """Every tag's training recipe, once (the task tables name tags by ref)."""
    budgets: dict[str, str] = {}
    for document in documents.values():
        for row in document["rows"]:
            for tag in row.get("tags", []):
                budgets.setdefault(tag["ref"], _tag_budget(tag))
    if not budgets:
        return []
    key = lambda ref: (ref.split("@")[0], int(ref.split("@")[1]))  # noqa: E731
    return [f"- {escape(budgets[ref])}" for ref in sorted(budgets, key=key)]


def paper_section(qed: dict[str, Any] | None) -> list[str]:
    ours: dict[str, str] = {}
    for row in (qed or {}).get("rows", []):
        for prefix, paper_row in COUNTERPART.items():
            if row["method"].startswith(prefix):
                ours[paper_row] = fmt(row["metrics"]["mse"])
                if prefix == "Tag-LLM":  # the last Tag-LLM row (the newest tags), named
                    ours[paper_row] += f" ({row['method'].removeprefix('Tag-LLM ')})"
    lines = ["## QED beside the paper", "",
             "The paper's numbers are Table 2 of Tag-LLM (Shen et al., ICML 2024) on **LLaMA-7B** "
             "with its own QED data; ours are `qed-nci` on SmolLM2-135M (below). Different "
             "base, data and budgets: compare the order of the rows, not the values.", "",
             "| method | paper, LLaMA-7B (QED MSE) | ours, SmolLM2-135M, qed-nci (test MSE) |",
             "|---|---|---|"]
    for name, value in PAPER_QED:
        ours_name = {"LLaMA linear probe": " (ridge probe)", "LLaMA prompt tuning": " (PEFT, p = 10)",
                     "LLaMA LoRA": " (PEFT, r = 8)"}.get(name, "")
        measured = f"{ours[name]}{ours_name}" if name in ours else "not measured"
        lines.append(f"| {name} | {value} | {measured} |")
    return lines + [""]
