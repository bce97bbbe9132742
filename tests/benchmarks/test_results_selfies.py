"""The SELFIES zero-shot results file and its section on the Results page."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import results_selfies
from benchmarks.selfies_zero_shot import store


def _row(method: str, mse: float, r: float) -> dict:
    return {"method": method, "metrics": {"mse": mse, "mae": 0.1, "pearson": r, "n": 3},
            "command": "cmd"}


def _combination(label: str, zero: float) -> dict:
    return {"label": label, "tags": ["SELFIES@2", "SMILES@2", "QED@3"], "command": f"run {label}",
            "rows": [_row("training mean", 0.0317, 0.0),
                     _row("<SELFIES> + <QED> zero-shot (SELFIES@2 + QED@3)", zero, 0.31),
                     _row("<QED> with no domain tag (SELFIES as text, QED@3)", 0.4, -0.1),
                     _row("reference: <SMILES> + <QED> on the same molecules as SMILES", 0.005, 0.9)]}


def test_store_keeps_one_combination_per_label_and_the_notes(tmp_path: Path) -> None:
    path = tmp_path / results_selfies.RESULTS_FILE
    header = {"task": "qed-selfies-zeroshot", "sizes": {"train": 10, "validation": 2, "test": 3},
              "data": {"test": "abc"}}
    store(path, header, _combination("aligned", 0.05))
    store(path, header, _combination("old", 0.2))
    document = json.loads(path.read_text())
    document["notes"] = "what was tried"
    path.write_text(json.dumps(document))
    store(path, header, _combination("aligned", 0.03))  # measured again: replaces its row
    document = json.loads(path.read_text())
    assert [c["label"] for c in document["combinations"]] == ["old", "aligned"]
    assert document["combinations"][1]["rows"][1]["metrics"]["mse"] == 0.03
    assert document["notes"] == "what was tried"
    store(path, {**header, "data": {"test": "other"}}, _combination("new", 0.1))
    assert [c["label"] for c in json.loads(path.read_text())["combinations"]] == ["new"]


def test_section_puts_each_combination_beside_its_baselines(tmp_path: Path) -> None:
    assert results_selfies.selfies_section(tmp_path) == []
    header = {"task": "qed-selfies-zeroshot", "sizes": {"train": 3920, "validation": 2, "test": 199},
              "data": {"test": "abc"}}
    store(tmp_path / results_selfies.RESULTS_FILE, header, _combination("aligned <SELFIES>", 0.0456))
    text = "\n".join(results_selfies.selfies_section(tmp_path))
    assert "## SELFIES zero-shot" in text and "(3 of 199;" in text
    assert ("| aligned &lt;SELFIES&gt; (`SELFIES@2 SMILES@2 QED@3`) | 0.0456 (r 0.31) | "
            "0.4000 (r -0.10) | 0.0050 (r 0.90) | 0.0317 |") in text
    assert "- aligned &lt;SELFIES&gt;: `OMP_NUM_THREADS=1 run aligned <SELFIES>`" in text
    only = _combination("another <SELFIES>", 0.0789)
    only["rows"] = only["rows"][:2]  # --zero-shot-only: the other rows come from "aligned"
    store(tmp_path / results_selfies.RESULTS_FILE, header, only)
    text = "\n".join(results_selfies.selfies_section(tmp_path))
    assert ("| another &lt;SELFIES&gt; (`SELFIES@2 SMILES@2 QED@3`) | 0.0789 (r 0.31) | "
            "0.4000 (r -0.10) | 0.0050 (r 0.90) | 0.0317 |") in text


def test_a_zero_shot_only_run_takes_the_rows_measured_just_before_it(tmp_path: Path) -> None:
    """Two registries give the same refs different tags: the rows come from the nearest
    combination stored before, not the first with the same refs."""
    header = {"task": "qed-selfies-zeroshot", "sizes": {"train": 3920, "validation": 2, "test": 199},
              "data": {"test": "abc"}}
    path = tmp_path / results_selfies.RESULTS_FILE
    store(path, header, _combination("first registry", 0.3))
    second = _combination("second registry", 0.05)
    second["rows"][2] = _row("<QED> with no domain tag (SELFIES as text, QED@3)", 0.16, -0.04)
    store(path, header, second)
    only = _combination("second registry, other SELFIES", 1.9)
    only["rows"] = only["rows"][:2]
    store(path, header, only)
    text = "\n".join(results_selfies.selfies_section(tmp_path))
    assert ("| second registry, other SELFIES (`SELFIES@2 SMILES@2 QED@3`) | 1.9000 (r 0.31) | "
            "0.1600 (r -0.04) |") in text
