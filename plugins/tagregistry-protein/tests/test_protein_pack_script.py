"""The GPU script that trains the shipped tags runs end to end (``--smoke``: tiny base, CPU).

A lent GPU has minutes, not hours: this keeps the script working between such sessions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "gpu" / "train_protein_pack.py"


@pytest.mark.skipif(not SCRIPT.is_file(), reason="runs inside the tagregistry repository only")
def test_smoke_run_trains_writes_verifies_and_scores_the_pack(tmp_path: Path) -> None:
    env = {**os.environ, "TAGREGISTRY_HOME": str(tmp_path / "home")}
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "benchmarks.gpu.train_protein_pack", "--out", str(out),
                          "--smoke"], capture_output=True, text=True, timeout=600, env=env,
                         cwd=SCRIPT.parents[2])
    assert run.returncode == 0, run.stderr[-3000:]
    pack = out / "protein-smollm2-135m"
    manifest = json.loads((pack / "tagpack.json").read_text())
    assert sorted(t["name"] for t in manifest["tags"]) == [
        "Antimicrobial", "BindingAffinity", "Descriptor", "Protein"]
    result = json.loads((out / "protein_tags.json").read_text())
    assert set(result["test"]) == {"Descriptor", "Antimicrobial", "BindingAffinity"}
    assert {"roc_auc", "accuracy"} <= set(result["test"]["Antimicrobial"])
    assert {"mse", "pearson"} <= set(result["test"]["BindingAffinity"])
    assert len(result["showcase"]) == 10 and result["frozen_smiles"] == "SMILES@1"

    # a pack trained on another <SMILES> than the chem plugin ships is refused, not adopted
    target = tmp_path / "plugin-pack"
    adopt = subprocess.run([sys.executable, "-m", "benchmarks.gpu.train_protein_pack", "--adopt",
                            str(pack), "--adopt-into", str(target)],
                           capture_output=True, text=True, timeout=600, env=env, cwd=SCRIPT.parents[2])
    assert adopt.returncode != 0 and "refused" in adopt.stderr
    assert not target.exists()
