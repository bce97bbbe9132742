"""Results-page rows from ``tagregistry evaluate --json`` reports (``results/evaluate-<task>.json``).

``tagregistry evaluate SMILES QED --data qed-nci --json benchmarks/results/evaluate-qed-nci.json``
scores the tag and the product's baselines (training mean, nearest neighbour, ridge and MLP
probes, :mod:`tagregistry.evaluation.baselines`) on one split; its rows join the task's table,
replacing rows of the same name, so the page's numbers are the ones the command prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: the page's name for each baseline of ``tagregistry evaluate``
BASELINE_NAMES = {
    "mean": "training mean",
    "nn": "nearest neighbour (frozen-base features)",
    "ridge": "ridge probe on frozen base",
    "mlp": "MLP probe on frozen base",
}
PREFIX = "evaluate-"


def shipped_ref(tag: dict[str, Any]) -> str:
    """``QED@6``: the version a tag shipped under in its pack (a fresh registry numbers it
    from 1), or the registry's ref for a tag that did not come from a pack."""
    pack = (tag.get("source") or {}).get("pack") or {}
    name = tag["ref"].split("@")[0]
    return f"{name}@{pack['version']}" if pack.get("version") else tag["ref"]


def report_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One page row per method of an evaluate report (baselines first, then the tag)."""
    provenance = report.get("provenance") or {}
    tags = [{**tag, "ref": shipped_ref(tag)} for tag in provenance.get("tags") or []]
    common = {"command": provenance.get("command", "tagregistry evaluate"),
              "measured_at": provenance.get("measured_at"), "base": provenance.get("base")}
    rows = []
    for row in sorted(report["rows"], key=lambda r: r["method"] == "tag"):
        metrics = {m: row[m] for m in report["metrics"]} | {"n": report["counts"]["scored"]}
        if row["method"] == "tag":
            method = "Tag-LLM " + " + ".join(t["ref"] for t in tags)
            rows.append({"method": method, "metrics": metrics, **common, "tags": tags})
        else:
            rows.append({"method": BASELINE_NAMES[row["method"]], "metrics": metrics, **common})
    return rows


def task_document(task: str, report: dict[str, Any]) -> dict[str, Any]:
    """A task's header, for a task only an evaluate report measured."""
    counts = report["counts"]
    return {"task": task, "dataset": report["data"].get("dataset", "own files"),
            "function": report["function"].split("@")[0], "test_split": report["data"].get("split", "test"),
            "note": "", "sizes": {"train": counts["train"], "validation": counts["validation"],
                                  "test": counts["scored"]}, "rows": []}


def merge_evaluations(documents: dict[str, dict[str, Any]], directory: Path) -> dict[str, dict[str, Any]]:
    """``documents`` with the rows of every ``evaluate-<task>.json`` in ``directory``: baselines
    go first, a tag row takes the place of an earlier row of the same name."""
    for path in sorted(directory.glob(f"{PREFIX}*.json")):
        task = path.stem.removeprefix(PREFIX)
        report = json.loads(path.read_text())
        document = documents.setdefault(task, task_document(task, report))
        rows = list(document["rows"])
        baselines = []
        for new in report_rows(report):
            index = next((i for i, r in enumerate(rows) if r["method"] == new["method"]), None)
            if index is not None:
                rows[index] = new
            elif new["method"].startswith("Tag-LLM "):
                rows.append(new)
            else:
                baselines.append(new)
        document["rows"] = baselines + rows
    return documents
