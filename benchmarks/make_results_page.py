"""Write ``docs/results.md`` and the packs' results files from the JSON in ``benchmarks/results/``.

Usage: ``python benchmarks/make_results_page.py [--check]``. ``--check`` exits 1 when the page
or a pack's ``*.results.json`` (what ``tagregistry demo`` shows) differs from what the JSON
gives (the test suite runs the same comparison).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import results_sections
import results_summary as summary
import results_translation

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PAGE = ROOT / "docs" / "results.md"
TASK_ORDER = ["qed-nci", "qed-moses", "qed-moses-scaffolds", "logp-nci", "logp-moses", "tpsa-nci", "tpsa-moses",
              "qed-selfies-zeroshot"]
#: Table 2 of the Tag-LLM paper, QED column (MSE, LLaMA-7B): the paper's numbers, not ours
PAPER_QED = [
    ("training mean", "–"), ("nearest neighbour", "0.040"), ("LLaMA prompted directly", "0.298"),
    ("GPT-4 prompted directly", "0.18"), ("LLaMA linear probe", "0.012"), ("MLP probe (not in the paper)", "–"),
    ("LLaMA prompt tuning", "1.387"), ("LLaMA LoRA", "0.020"), ("Tag-LLM", "0.008"),
]
#: which of our methods sits beside which paper row
COUNTERPART = {"training mean": "training mean", "nearest neighbour": "nearest neighbour", "ridge probe": "LLaMA linear probe",
               "MLP probe": "MLP probe (not in the paper)",
               "PEFT prompt tuning": "LLaMA prompt tuning", "PEFT LoRA": "LLaMA LoRA",
               "Tag-LLM": "Tag-LLM"}

INTRO = """# Results

Every number on this page was measured with this repository's code on the default base,
SmolLM2-135M-Instruct (hidden size 576), on a 2-core CPU shared with other jobs, one thread
(`OMP_NUM_THREADS=1`) unless a row says otherwise. The page is generated from the raw JSON in
`benchmarks/results/` by `python benchmarks/make_results_page.py` (a test fails when the page
and the JSON disagree); the same script writes the numbers `tagregistry demo` shows beside its
samples. Baselines and tags see the same splits (see `benchmarks/README.md`).
"""

METHODS = """- **training mean**: predict the mean training label (classification: the training
  class frequencies).
- **nearest neighbour**: the label of the most Tanimoto-similar training molecule (Morgan
  fingerprints, radius 2, 2,048 bits).
- **ridge probe**: RidgeCV on the frozen base's hidden states for the plain prompt
  "The SMILES of the molecule is ....", mean over the SMILES tokens or the last token, at six
  depths or middle + last layer concatenated; pooling and layers chosen on validation,
  alpha by leave-one-out on train.
- **MLP probe**: the head `head_refit: mlp` fits (three MLPs of 256 units, early-stopped on
  validation, averaged) on the same frozen-base features, mean over the SMILES tokens at all
  six depths: the non-linear counterpart of the ridge probe, fitted per data set like it.
- **PEFT prompt tuning / LoRA**: PEFT with p = 10 virtual tokens / LoRA r = 8 and a linear
  regression head on the last hidden state, for the optimiser steps stated in the row. Every
  task's PEFT rows ran 60 steps of batch 8 (480 examples, about 3 minutes per method on one CPU
  thread), far below the tags' 400 x 16: they show where a short PEFT run lands, not how far
  PEFT goes with the tags' budget.
- **Tag-LLM**: registered tags through `Registry.compose(...)` and `predict_batch`."""

VERSIONS = """Refs are the versions the chem pack shipped them under (its files are named
`QED.v6.safetensors` and so on; a fresh `install-pack` numbers them from 1 in a new registry):
the `--home` folder in the commands is a registry that loaded the pack folder of each commit
that changed the pack, in order (`Registry.load_pack`), plus, for the SELFIES rows,
`<SELFIES>` trained by `tagregistry train
plugins/tagregistry-chem/tagregistry_chem/recipes/selfies-stage1.yaml`. `QED@1` is the pack's
first `<QED>` (the paper's readout, 200 CPU steps); `QED@2` added the mean readout over layers
7, 15, 22, 30 and a ridge-refitted head (see "What the head reads"), trained on NCI only;
`QED@3` is the same recipe on `qed-nci-moses` (NCI plus the 1,000 MOSES training molecules the
MOSES rows' baselines are fitted on); `QED@4` adds `refit_balance: source` (NCI and MOSES weigh
the same in the head refit; see "Where the head is fitted"). `QED@5` reads the SMILES tokens
beside the function tag (`readout_values: true`) and has a hidden layer refitted as three
averaged MLPs (`head_hidden: 768`, `head_refit: mlp`, `qed-stage2-mlp.yaml`); measured, not
shipped, because its head is a 14 MB file. `QED@6`, the one the pack ships, is the same recipe
with a 96-unit head (1.8 MB; `tagregistry_chem/recipes/qed-stage2.yaml`). `LogP@2` and
`TPSA@2` are the QED@3 recipe for their properties; `LogP@3` is the QED@5 recipe for LogP
(`logp-stage2-mlp.yaml`) and `LogP@4`, shipped, the QED@6 one (`logp-stage2.yaml`); `TPSA@3` is
the QED@5 recipe for TPSA (`tag: TPSA`, `dataset: tpsa-nci-moses`), measured, not shipped: the
pack keeps `TPSA@2` (`tpsa-stage2.yaml`). The protein pack's tags are `@1`
(`docs/guides/protein-plugin.md`)."""


def details(title: str, lines: list[str], kind: str = "info") -> list[str]:
    """A collapsed block (``pymdownx.details``) holding ``lines``."""
    return [f'??? {kind} "{title}"', "", *[f"    {line}" if line else "" for line in lines], ""]


def commands_block(pairs: list[tuple[str, str]]) -> list[str]:
    """``[(what, command)]`` as one bullet per distinct command, naming what it reproduces."""
    grouped: dict[str, list[str]] = {}
    for what, command in pairs:
        grouped.setdefault(command, []).append(what)
    return [f"- {_escape(', '.join(dict.fromkeys(whats)))}: `{command}`" for command, whats in grouped.items()]


#: summary written by ``python benchmarks/readout_study.py summary``
READOUT_STUDY = "readout_study_qed_nci.json"


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.3f}"
    return f"{value:.4f}"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def load(directory: Path = RESULTS) -> dict[str, dict[str, Any]]:
    """Task name -> its results document."""
    found = {}
    for path in sorted(directory.glob("baselines-*.json")):
        document = json.loads(path.read_text())
        found[document["task"]] = document
    return found


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


def _task_section(document: dict[str, Any]) -> list[str]:
    sizes = document["sizes"]
    lines = [f"## {document['task']}", ""]
    lines.append(f"Data set `{document['dataset']}`, function `{document['function']}`, "
                 f"test split `{document['test_split']}`; {sizes['train']:,} train / "
                 f"{sizes['validation']:,} validation / {sizes['test']:,} test molecules.")
    if document.get("note"):
        lines.append(f"{_escape(document['note'])}.")
    lines += ["", "| method | test MSE | MAE | Pearson r | n |", "|---|---|---|---|---|"]
    for row in document["rows"]:
        m = row["metrics"]
        pearson = 0.0 if abs(m["pearson"]) < 5e-4 else m["pearson"]
        lines.append(f"| {_escape(row['method'])} | {_fmt(m['mse'])} | {_fmt(m['mae'])} | "
                     f"{pearson:.3f} | {m['n']} |")
    notes = []
    for row in document["rows"]:
        c = row.get("choice")
        if c and row["method"].startswith("ridge probe"):
            notes += [f"Ridge probe choice (validation MSE {_fmt(c['validation_mse'])}): "
                      f"{c['pooling']} pooling, {c['view']}, alpha {c['alpha']:g}.", ""]
        elif c and row["method"].startswith("MLP probe"):
            notes += [f"MLP probe: {c['members']} MLPs of {c['hidden'] // c['members']} units "
                      f"averaged (the product's `head_refit: mlp`), {c['pooling']} pooling, "
                      f"{c['view']}; best validation epoch {c['mlp_mean_epochs']:.0f} on average.", ""]
    for row in (r for r in document["rows"] if "steps" in r):
        notes += [f"{_escape(row['method'])}: {row['steps']} steps of batch {row['batch']}, "
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
    return [f"- {_escape(budgets[ref])}" for ref in sorted(budgets, key=key)]


def _paper_section(qed: dict[str, Any] | None) -> list[str]:
    ours: dict[str, str] = {}
    for row in (qed or {}).get("rows", []):
        for prefix, paper_row in COUNTERPART.items():
            if row["method"].startswith(prefix):
                ours[paper_row] = _fmt(row["metrics"]["mse"])
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


def _readout_section(directory: Path) -> list[str]:
    """The head-readout study (``benchmarks/readout_study.py``), when its summary exists."""
    path = directory / READOUT_STUDY
    if not path.is_file():
        return []
    study = json.loads(path.read_text())
    lines = ["## What the head reads (QED, qed-nci)", "", _escape(study["summary"]), "",
             "| model | validation MSE | test MSE | Pearson r |", "|---|---|---|---|"]
    for row in study["rows"]:
        test = _fmt(row["test_mse"]) if row.get("test_mse") is not None else "–"
        r = f"{row['test_r']:.3f}" if row.get("test_r") is not None else "–"
        lines.append(f"| {_escape(row['model'])} | {_fmt(row['val_mse'])} | {test} | {r} |")
    commands = commands_block([(row["model"], row["command"]) for row in study["rows"]])
    return lines + ["", *details("Commands", commands), _escape(study["notes"]), ""]


#: written by ``python benchmarks/refit_study.py fit`` (and ``mlp``)
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


def _refit_section(directory: Path, documents: dict[str, dict[str, Any]]) -> list[str]:
    """The refit study (``benchmarks/refit_study.py``), when its summary exists."""
    path = directory / REFIT_STUDY
    if not path.is_file():
        return []
    study = json.loads(path.read_text())
    probes = []
    for task in ("qed-nci", "qed-moses", "qed-moses-scaffolds"):
        rows = [r for r in documents.get(task, {}).get("rows", []) if r["method"].startswith("ridge probe")]
        if rows:
            probes.append(f"{task} {_fmt(rows[0]['metrics']['mse'])}")
    intro = REFIT_INTRO.format(version=study["qed_version"], probes=", ".join(probes) or "not measured")
    mixes = [m for m in REFIT_MIXES if any(r["train"] == m for r in study["rows"])]
    lines = ["## Where the head is fitted (QED, NCI and MOSES)", "", _escape(intro), "",
             "| features | layers | " + " | ".join(f"head fitted on {REFIT_MIXES[m]}" for m in mixes) + " |",
             "|---|---|" + "---|" * len(mixes)]
    keys = list(dict.fromkeys((r["features"], tuple(r["layers"])) for r in study["rows"]))
    names = {"function": "function tag positions", "span": "SMILES tokens (tagged prompt)"}
    for kind, layers in keys:
        cells = []
        for mix in mixes:
            row = next(r for r in study["rows"] if (r["features"], tuple(r["layers"]), r["train"]) == (kind, layers, mix))
            cells.append(" / ".join(_fmt(row[n]) for n in ("nci-test", "moses-test", "scaffolds-test")))
        lines.append(f"| {names[kind]} | {'+'.join(map(str, layers))} | " + " | ".join(cells) + " |")
    lines += ["", *details("Command", [f"`{study['command']}`"])]
    if study.get("mlp_rows"):
        mlp_names = {**names, "function+span": "both, side by side (`readout_values: true`)"}
        lines += ["The product's MLP head refit (`head_refit: mlp`: "
                  f"{study['mlp_rows'][0]['members']} MLPs of 256 units, early-stopped on the "
                  "validation molecules, averaged) on the same features, layers "
                  f"{'+'.join(map(str, study['mlp_rows'][0]['layers']))}, fitted on NCI + MOSES "
                  f"(`{study['mlp_command']}`):", "",
                  "| features | head fitted on both, plain | both, balanced |", "|---|---|---|"]
        for kind in dict.fromkeys(r["features"] for r in study["mlp_rows"]):
            cells = [" / ".join(_fmt(r[n]) for n in ("nci-test", "moses-test", "scaffolds-test"))
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
                         + " / ".join(_fmt(row[n]) for n in ("nci-test", "moses-test", "scaffolds-test")) + " |")
        lines.append("")
    if study.get("mlp_source_rows"):
        rows = {r["train"]: r for r in study["mlp_source_rows"]}
        lines += ["The same refit on the SMILES tokens of the tagged prompt at the probe's six depths, "
                  "one head per data set (as the probes are fitted): fitted on NCI, NCI test "
                  f"{_fmt(rows['nci']['nci-test'])}; fitted on MOSES, MOSES test "
                  f"{_fmt(rows['moses']['moses-test'])} and scaffolds {_fmt(rows['moses']['scaffolds-test'])} "
                  f"(`{study['mlp_source_command']}`).", ""]
    if study.get("notes"):
        lines += [_escape(study["notes"]), ""]
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
             _escape(f"Each row: the product's ridge refit on the first {rows[0]['train']:,} NCI training "
                     "molecules' features (mean over the function tag's positions at layers 7, 15, 22 "
                     "and 30; without a function tag, the last token at those layers), strength chosen "
                     "on the NCI validation split, scored on the NCI test split. On this base a tag "
                     "trained for 400 CPU steps barely differs from its initialisation (\"What the head "
                     f"reads\"), so the p rows use untrained tags. Reproduce: {study['ablation_command']}."),
             "", "| prompt | validation MSE | test MSE | Pearson r |", "|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {_escape(ABLATIONS.get(row['variant'], row['variant']))} | "
                     f"{_fmt(row['validation_mse'])} | {_fmt(row['test_mse'])} | {row['test_r']:.3f} |")
    return lines + [""]


#: written by ``benchmarks/baselines_protein.py`` and ``benchmarks/gpu/train_protein_pack.py``
PROTEIN_BASELINES = "baselines_protein_cpu.json"
PROTEIN_TAGS = "protein_tags_cpu.json"
PROTEIN_TASKS = {"binding-affinity": "BindingAffinity", "antimicrobial": "Antimicrobial",
                 "descriptor": "Descriptor"}
PROTEIN_BASELINE_COMMAND = ("OMP_NUM_THREADS=1 python benchmarks/baselines_protein.py "
                            "binding-affinity antimicrobial descriptor [--probe --cache DIR]")


def _metric_cells(row: dict[str, Any], names: list[str]) -> str:
    cells = []
    for name in names:
        value = row.get(name)
        cells.append("–" if value is None else (f"{value:.3f}" if name in ("pearson", "roc_auc", "accuracy")
                                                else _fmt(value)))
    return " | ".join(cells)


def _protein_section(directory: Path) -> list[str]:
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
            lines.append(f"| {_escape(row['baseline'])} | {_metric_cells(row, names)} | {_escape(notes)} |")
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


def summary_rows(directory: Path = RESULTS, shipped: list[str] | None = None) -> list[summary.SummaryRow]:
    """The summary's rows: the chem tasks, then the protein tasks (``shipped``: chem refs)."""
    documents = load(directory)
    order = [t for t in TASK_ORDER if t in documents]
    refs = None if shipped is None else {ref.split("@")[0]: ref for ref in shipped}
    rows = summary.chem_rows(documents, order, refs)
    protein = directory / PROTEIN_BASELINES
    if protein.is_file():
        tags = directory / PROTEIN_TAGS
        rows += summary.protein_rows(json.loads(protein.read_text()),
                                     json.loads(tags.read_text()) if tags.is_file() else {})
    return rows


def render(directory: Path = RESULTS, shipped: list[str] | None = None) -> str:
    """The whole page as Markdown; ``shipped``: the chem function tags to sum up (default: the pack's)."""
    documents = load(directory)
    lines = [INTRO, *summary.summary_section(summary_rows(directory, shipped), _escape),
             *details("How each method is fitted", METHODS.splitlines()),
             *details("Which tag versions the rows name", VERSIONS.splitlines()),
             *details("Tag recipes (one line per tag version)", tag_recipes(documents)),
             *_paper_section(documents.get("qed-nci")), *_readout_section(directory),
             *_refit_section(directory, documents)]
    order = [t for t in TASK_ORDER if t in documents] + sorted(set(documents) - set(TASK_ORDER))
    missing = [t for t in TASK_ORDER if t not in documents]
    for task in order:
        lines += _task_section(documents[task])
    lines += _protein_section(directory)
    lines += results_sections.domain_section(directory) + results_sections.precision_section(directory)
    lines += results_translation.translation_section(directory)
    if missing:
        lines += ["## Not measured yet", "", ", ".join(f"`{t}`" for t in missing) + ".", ""]
    return "\n".join(lines).rstrip() + "\n"


def outputs() -> dict[Path, str]:
    """Every file this script writes, with its text."""
    return {PAGE: render(), **summary.pack_results(summary_rows())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, do not write")
    args = parser.parse_args(argv)
    stale = [path for path, text in outputs().items()
             if (path.read_text() if path.is_file() else "") != text]
    if args.check:
        for path in stale:
            print(f"{path} is out of date: run python benchmarks/make_results_page.py")
        return 1 if stale else 0
    for path, text in outputs().items():
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
