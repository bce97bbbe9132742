"""Rows of results: metrics, merging into ``benchmarks/results/baselines-<task>.json``."""

from __future__ import annotations

import json
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parents[1] / "results"


def metrics(pred: Sequence[float], true: Sequence[float]) -> dict[str, float]:
    """MSE, MAE and Pearson r of predictions against labels."""
    from tagregistry.heads.metrics import mae, mse, pearson

    pred = [float(p) for p in pred]
    true = [float(t) for t in true]
    return {"mse": mse(pred, true), "mae": mae(pred, true), "pearson": pearson(pred, true),
            "n": len(true)}


def row(method: str, pred: Sequence[float], true: Sequence[float], command: str,
        **details: Any) -> dict[str, Any]:
    """One result row with its metrics, the command that produced it and any details."""
    return {"method": method, "metrics": metrics(pred, true), "command": command,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": platform.machine(), **details}


def results_path(task: str, directory: Path | None = None) -> Path:
    return (directory or RESULTS_DIR) / f"baselines-{task}.json"


def merge(task: str, header: dict[str, Any], rows: list[dict[str, Any]],
          directory: Path | None = None) -> Path:
    """Write ``rows`` into the task's JSON, replacing rows of the same method; data hashes in
    ``header`` must match the stored ones (otherwise the old rows are dropped)."""
    path = results_path(task, directory)
    stored: dict[str, Any] = {}
    if path.is_file():
        stored = json.loads(path.read_text())
    same_data = stored.get("data") == header.get("data")
    kept = [r for r in stored.get("rows", []) if same_data
            and r["method"] not in {new["method"] for new in rows}]
    document = {**header, "rows": kept + rows}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n")
    return path


def print_table(task: str, rows: list[dict[str, Any]]) -> None:
    """The rows side by side on stdout."""
    print(f"\n{task}")
    print(f"{'method':46s} {'test MSE':>10s} {'MAE':>9s} {'Pearson r':>9s} {'n':>6s}")
    for r in rows:
        m = r["metrics"]
        print(f"{r['method']:46s} {m['mse']:10.4f} {m['mae']:9.4f} {m['pearson']:9.3f} {m['n']:6d}")
