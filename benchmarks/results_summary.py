"""Every shipped tag on every task beside the baselines: the Results page's summary table and
the per-pack results files that ``tagregistry demo`` reads (``PackSpec.results``).

Both come from the same committed JSON in ``benchmarks/results/`` (``make_results_page.py``
writes them together and ``--check`` compares them), so the demo never carries a number of
its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: columns of the summary, in order: the baselines every task may have
BASELINES = ("training mean", "nearest neighbour", "ridge probe", "MLP probe", "PEFT", "other")
#: the packs the plugins ship for the default base: (pack name, its folder, functions it holds)
PACKS = {
    "chem-smollm2-135m": ROOT / "plugins/tagregistry-chem/tagregistry_chem/packs/smollm2-135m",
    "protein-smollm2-135m": ROOT / "plugins/tagregistry-protein/tagregistry_protein/packs/smollm2-135m",
}
METRIC_NAMES = {"mse": "MSE", "roc_auc": "ROC-AUC", "accuracy": "accuracy"}
#: protein task -> (function, metrics, baseline name in the JSON -> summary column)
PROTEIN = {
    "binding-affinity": ("BindingAffinity", ("mse",), {
        "training mean": "training mean", "nearest neighbour (Tanimoto)": "nearest neighbour",
        "ridge probe (frozen base)": "ridge probe"}),
    "antimicrobial": ("Antimicrobial", ("roc_auc", "accuracy"), {
        "training class frequency": "training mean", "ridge probe (frozen base)": "ridge probe",
        "k-mer logistic regression": "other"}),
    "descriptor": ("Descriptor", ("mse",), {
        "training mean": "training mean", "ridge probe (frozen base)": "ridge probe",
        "composition least squares": "other"}),
}


@dataclass
class SummaryRow:
    """One shipped tag on one task and metric, beside whatever baselines were measured."""

    task: str
    function: str
    pack: str
    tag: str  # the refs as shipped, e.g. "QED@6" or "SELFIES@1 + QED@6"
    metric: str
    n: int
    tag_value: float
    #: column -> (method as measured, value); missing columns were not measured
    baselines: dict[str, tuple[str, float | None]] = field(default_factory=dict)
    zero_shot: bool = False

    @property
    def higher_is_better(self) -> bool:
        return self.metric != "mse"

    def strongest(self) -> tuple[str, float] | None:
        """The best measured baseline ``(method, value)``."""
        measured = [(name, value) for name, value in self.baselines.values() if value is not None]
        if not measured:
            return None
        pick = max if self.higher_is_better else min
        return pick(measured, key=lambda item: item[1])


def shipped_refs(folder: Path) -> dict[str, str]:
    """``{"QED": "QED@6", ...}``: the function tags in a shipped pack, by name."""
    tags = json.loads((folder / "tagpack.json").read_text())["tags"]
    return {t["name"]: f"{t['name']}@{t['version']}" for t in tags if t["kind"] == "function"}


def _chem_tag_row(rows: list[dict[str, Any]], refs: set[str]) -> tuple[dict[str, Any], str, bool] | None:
    """The row of a shipped tag: ``Tag-LLM SMILES@1 + QED@6`` or ``... zero-shot (SELFIES@1 + QED@6)``."""
    for row in rows:
        method = row["method"]
        if method.startswith("Tag-LLM ") and method.rsplit(" + ", 1)[-1] in refs:
            return row, method.rsplit(" + ", 1)[-1], False
        if " zero-shot (" in method and method.rstrip(")").rsplit(" + ", 1)[-1] in refs:
            return row, method.rsplit("(", 1)[-1].rstrip(")"), True
    return None


def chem_rows(documents: dict[str, dict[str, Any]], order: list[str],
              refs: dict[str, str] | None = None) -> list[SummaryRow]:
    """Summary rows of the chem tasks (``baselines-<task>.json``) that hold a shipped tag."""
    pack = "chem-smollm2-135m"
    shipped = set((refs if refs is not None else shipped_refs(PACKS[pack])).values())
    found = []
    for task in order:
        rows = documents.get(task, {}).get("rows", [])
        picked = _chem_tag_row(rows, shipped)
        if picked is None:
            continue
        tag_row, tag, zero_shot = picked
        summary = SummaryRow(task, documents[task]["function"], pack, tag, "mse",
                             tag_row["metrics"]["n"], tag_row["metrics"]["mse"], zero_shot=zero_shot)
        for column in BASELINES[:4]:
            row = next((r for r in rows if r["method"].startswith(column)), None)
            if row is not None:
                summary.baselines[column] = (row["method"], row["metrics"]["mse"])
        peft = [r for r in rows if r["method"].startswith("PEFT ")]
        if peft:
            best = min(peft, key=lambda r: r["metrics"]["mse"])
            summary.baselines["PEFT"] = (best["method"], best["metrics"]["mse"])
        found.append(summary)
    return found


def protein_rows(baselines: dict[str, Any], tags: dict[str, Any],
                 refs: dict[str, str] | None = None) -> list[SummaryRow]:
    """Summary rows of the protein tasks (``baselines_protein_cpu.json`` + ``protein_tags_cpu.json``)."""
    pack = "protein-smollm2-135m"
    refs = refs if refs is not None else shipped_refs(PACKS[pack])
    found = []
    for task, (function, metrics, columns) in PROTEIN.items():
        document = baselines.get(task)
        scored = dict((tags.get("test") or {}).get(function) or {})
        trained = (tags.get("training") or {}).get(function)
        if not scored and trained is not None:  # the training run's own test pass
            scored = {k.removeprefix("test_"): v for k, v in trained["metrics"].items()
                      if k.startswith("test_")}
        if document is None or function not in refs:
            continue
        for metric in metrics:
            if scored.get(metric) is None:
                continue
            row = SummaryRow(task, function, pack, refs[function], metric,
                             scored.get("n") or document["sizes"]["test"], scored[metric])
            for baseline in document["baselines"]:
                column = columns.get(baseline["baseline"])
                if column is not None:
                    row.baselines[column] = (baseline["baseline"], baseline.get(metric))
            found.append(row)
    return found


def pack_results(rows: list[SummaryRow]) -> dict[Path, str]:
    """``{path: JSON text}`` of each pack's results file (what ``tagregistry demo`` shows)."""
    files = {}
    for pack, folder in PACKS.items():
        functions: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            if row.pack != pack or row.zero_shot:
                continue
            strongest = row.strongest()
            mean = row.baselines.get("training mean", ("", None))[1]
            functions.setdefault(row.function, []).append({
                "task": row.task, "n": row.n, "metric": row.metric,
                "higher_is_better": row.higher_is_better, "tag": row.tag_value,
                "training_mean": mean, "strongest": strongest[0] if strongest else "none measured",
                "strongest_value": strongest[1] if strongest else float("nan"),
            })
        document = {
            "about": "Test-split numbers of docs/results.md for the function tags of this pack, "
                     "written by benchmarks/make_results_page.py from benchmarks/results/ "
                     "(do not edit); tagregistry demo shows them beside its samples",
            "pack": pack, "functions": functions,
        }
        files[folder.parent / f"{folder.name}.results.json"] = json.dumps(document, indent=1) + "\n"
    return files


def _fmt(value: float | None, metric: str) -> str:
    if value is None:
        return "–"
    if metric != "mse":
        return f"{value:.3f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3f}" if abs(value) >= 1 else f"{value:.4f}"


def _verdict(row: SummaryRow) -> str:
    strongest = row.strongest()
    if strongest is None:
        return "–"
    name, value = strongest
    short = name.split(" (")[0].removesuffix(" on frozen base")
    if row.higher_is_better:
        gap = row.tag_value - value
        verdict = "ties" if abs(gap) < 0.005 else "beats" if gap > 0 else "loses to"
        return f"{verdict} {short} ({gap:+.3f})"
    if value < 1e-12:  # an exact baseline (the label is a function of its features)
        return f"loses to {short} (exact: MSE 0)"
    ratio = row.tag_value / value
    verdict = "ties" if abs(ratio - 1) < 0.01 else "beats" if ratio < 1 else "loses to"
    return f"{verdict} {short} ({ratio:.2f}x)"


def summary_section(rows: list[SummaryRow], escape: Any) -> list[str]:
    """The page's opening table: one line per shipped tag, task and metric."""
    if not rows:
        return []
    lines = ["## Summary", "",
             "Test-split scores of every tag the plugins ship, on every task measured, beside the "
             "baselines on the same splits and base. Bold: the best of the row; –: not measured; "
             "PEFT: the better of prompt tuning and LoRA after a short run (60 steps of 8); "
             "other: a task-specific baseline (k-mer logistic regression, composition least "
             "squares). Lower MSE is better, higher ROC-AUC and accuracy. Each task's full table, "
             "recipes and commands follow below.", "",
             "| task | metric | shipped tag | tag | " + " | ".join(BASELINES) + " | tag vs strongest baseline |",
             "|---|---|---|---|" + "---|" * len(BASELINES) + "---|"]
    for row in rows:
        values = [row.tag_value] + [row.baselines.get(c, ("", None))[1] for c in BASELINES]
        measured = [v for v in values if v is not None]
        best = (max if row.higher_is_better else min)(measured)
        cells = [f"**{_fmt(v, row.metric)}**" if v is not None and v == best else _fmt(v, row.metric)
                 for v in values]
        peft = row.baselines.get("PEFT")
        if peft and peft[1] is not None:
            cells[1 + BASELINES.index("PEFT")] += " (LoRA)" if "LoRA" in peft[0] else " (prompt tuning)"
        other = row.baselines.get("other")
        if other and other[1] is not None:
            cells[1 + BASELINES.index("other")] += f" ({other[0]})"
        lines.append(f"| {row.task} | {METRIC_NAMES[row.metric]} | {escape(row.tag)} | "
                     + " | ".join(cells) + f" | {_verdict(row)} |")
    return lines + [""]
