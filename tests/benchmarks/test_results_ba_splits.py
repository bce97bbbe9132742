"""The binding-affinity splits section of the Results page."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import results_ba_splits


def _rows(mean: float, mlp: float, tag: float | None) -> list[dict]:
    rows = [{"method": "mean", "mse": mean, "pearson": -1e-14},
            {"method": "mlp", "mse": mlp, "pearson": 0.64}]
    return rows + ([{"method": "tag", "ref": "BindingAffinity@1", "mse": tag, "pearson": 0.06}]
                   if tag is not None else [])


def test_each_method_on_both_splits_with_the_best_in_bold(tmp_path: Path) -> None:
    assert results_ba_splits.ba_splits_section(tmp_path) == []  # nothing measured: no section
    sizes = {"train": 3500, "validation": 500, "test": 1000}
    document = {"command": "python -m benchmarks.binding_affinity_splits", "base": "tiny",
                "dtype": "float32", "splits": {
                    "cold": {"dataset": "kiba", "sizes": sizes, "rows": _rows(0.548, 0.717, 0.550)},
                    "warm": {"dataset": "kiba-warm", "sizes": sizes, "rows": _rows(0.683, 0.399, None)}}}
    (tmp_path / results_ba_splits.RESULTS_FILE).write_text(json.dumps(document))
    lines = results_ba_splits.ba_splits_section(tmp_path)
    table = {line.split(" | ")[0].lstrip("| "): line for line in lines if line.startswith("| ")}
    assert table["training mean"] == "| training mean | **0.548** (r 0.00) | 0.683 (r 0.00) |"
    assert table["MLP probe on frozen base"].endswith("| 0.717 (r 0.64) | **0.399** (r 0.64) |")
    assert table["Tag-LLM BindingAffinity@1"] == "| Tag-LLM BindingAffinity@1 | 0.550 (r 0.06) | – |"
    assert any("3,500 / 500 / 1,000 pairs" in line for line in lines)
