"""``tagregistry train``: a run killed with SIGKILL resumes to the same result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
import yaml

pytestmark = pytest.mark.filterwarnings("ignore:no installed plugin declares domain")

FUNCTION = {
    "name": "Size", "template": "The molecule is {Mol:mol}. Its size is {Size}",
    "slots": [{"name": "mol", "domains": ["Mol"]}], "head": {"type": "regression"},
    "output": "scalar",
}


def _cli(db: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen(
        [sys.executable, "-m", "tagregistry.cli.main", "--db", db, "train", *args, "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def test_sigkill_then_resume_matches_uninterrupted_run(registry, local_base, mol_file, tmp_path):
    torch.set_num_threads(1)
    registry.train({"stage": 1, "tag": "Mol", "base": str(local_base),
                    "data": {"file": str(mol_file), "text_field": "mol"},
                    "hyper": {"n_vectors": 3, "batch_size": 8, "max_steps": 3}},
                   output_dir=tmp_path / "s1", progress=False)
    recipe = {
        "stage": 2, "tag": "Size", "base": str(local_base), "function": FUNCTION,
        "data": {"file": str(mol_file)}, "seed": 5,
        "hyper": {"n_vectors": 4, "batch_size": 4, "max_steps": 60, "lr": 1e-2},
        "checkpoint": {"every": 5, "keep": 2},
    }
    path = tmp_path / "size.yaml"
    path.write_text(yaml.safe_dump(recipe))
    db = registry.url

    reference = _cli(db, str(path), "--output-dir", str(tmp_path / "ref"), "--json")
    out, err = reference.communicate(timeout=120)
    assert reference.returncode == 0, err
    assert json.loads(out)["registered"] == ["Size@1"]

    run_dir = tmp_path / "run"
    victim = _cli(db, str(path), "--output-dir", str(run_dir))
    deadline = time.monotonic() + 120
    while not (run_dir / "latest.json").exists():
        assert victim.poll() is None, victim.communicate()[1]
        assert time.monotonic() < deadline
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    killed_at = json.loads((run_dir / "latest.json").read_text())["step"]
    assert 0 < killed_at < 60
    assert [r.ref for r in registry.versions("Size")] == ["Size@1"]  # nothing registered

    resumed = _cli(db, str(path), "--output-dir", str(run_dir), "--resume", "--json")
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    summary = json.loads(out)
    assert summary["registered"] == ["Size@2"] and summary["resumed_from"] >= killed_at
    assert torch.equal(registry.load("Size@1"), registry.load("Size@2"))
    head1, head2 = registry.load_head("Size@1"), registry.load_head("Size@2")
    assert all(torch.equal(head1[k], head2[k]) for k in head1)
    assert registry.get("Size@2").metrics == registry.get("Size@1").metrics


def test_resume_refuses_another_recipe(registry, local_base, mol_file, tmp_path):
    from tagregistry.training.checkpoint import CheckpointError

    recipe = {"stage": 1, "tag": "Mol", "base": str(local_base),
              "data": {"file": str(mol_file), "text_field": "mol"},
              "hyper": {"n_vectors": 3, "batch_size": 8, "max_steps": 4},
              "checkpoint": {"every": 2}}
    registry.train(recipe, output_dir=tmp_path / "r", progress=False, register=False)
    assert (tmp_path / "r" / "latest.json").exists()
    changed = {**recipe, "seed": 9}
    with pytest.raises(CheckpointError, match="different recipe"):
        registry.train(changed, output_dir=tmp_path / "r", resume=True, progress=False)
    assert registry.list() == []
