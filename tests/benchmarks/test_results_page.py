"""docs/results.md is generated from benchmarks/results/*.json and must match it."""

from __future__ import annotations

import json
from pathlib import Path

import make_results_page as page


def test_results_page_is_up_to_date() -> None:
    assert page.PAGE.read_text() == page.render(), (
        "docs/results.md is out of date: run python benchmarks/make_results_page.py")
    assert page.main(["--check"]) == 0


def _document(task: str, rows: list[tuple[str, float]]) -> dict:
    return {
        "task": task, "dataset": task, "function": "QED", "test_split": "test", "note": "",
        "sizes": {"train": 10, "validation": 2, "test": 3}, "data": {},
        "rows": [{"method": m, "metrics": {"mse": v, "mae": v, "pearson": 0.5, "n": 3},
                  "command": f"python benchmarks/baselines.py --task {task} # {m}"}
                 for m, v in rows],
    }


def test_page_puts_our_rows_beside_the_papers(tmp_path: Path) -> None:
    rows = [("training mean", 0.0286), ("ridge probe on frozen base", 0.0092),
            ("Tag-LLM SMILES@1 + QED@1", 0.0230)]
    (tmp_path / "baselines-qed-nci.json").write_text(json.dumps(_document("qed-nci", rows)))
    text = page.render(tmp_path)
    assert "| LLaMA linear probe | 0.012 | 0.0092 (ridge probe) |" in text
    assert "| training mean | – | 0.0286 |" in text
    assert "| Tag-LLM | 0.008 | 0.0230 (SMILES@1 + QED@1) |" in text
    assert "| LLaMA LoRA | 0.020 | not measured |" in text
    assert "`python benchmarks/baselines.py --task qed-nci # training mean`" in text
    assert "## Not measured yet" in text and "`qed-moses`" in text


def test_summary_compares_the_shipped_tag_with_both_probes(tmp_path: Path) -> None:
    rows = [("training mean", 0.03), ("ridge probe on frozen base", 0.009), ("MLP probe on frozen base", 0.005),
            ("Tag-LLM SMILES@1 + QED@1", 0.02), ("Tag-LLM SMILES@1 + QED@2", 0.006)]
    (tmp_path / "baselines-qed-nci.json").write_text(json.dumps(_document("qed-nci", rows)))
    text = page.render(tmp_path, shipped=["QED@2"])
    assert ("| qed-nci | 0.0300 | 0.0090 | **0.0050** | 0.0060 (QED@2) | beats (0.67x) | loses (1.20x) |"
            in text)
    assert "| 0.0200 (QED@1) | loses (2.22x) | loses (4.00x) |" in page.render(tmp_path, shipped=["QED@1"])
    assert "## The shipped tags against the probes" not in page.render(tmp_path, shipped=["QED@9"])
    assert {r.split("@")[0] for r in page.shipped_refs()} == {"QED", "LogP", "TPSA"}  # the chem pack's
