"""The "own data" tutorial (docs/tutorials/own-data.md), run as written on a small CSV.

Its recipe and its ``tagregistry`` commands are read from the page. Two things differ from a
user's run: the base model is a tiny random Llama saved as a folder (the recipe's ``base``, and
``--base`` on the commands that compose), and ``<SMILES>`` is trained for it (stage 1) instead
of installed from the chem plugin's pack, which is bound to SmolLM2.
"""

from __future__ import annotations

import csv
import json
import re
import shlex
from pathlib import Path

import yaml
from support.cli import run_cli

from tagregistry.registry import Registry

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorials" / "own-data.md"
COMPOSING = ("evaluate", "predict")


def tutorial_blocks(language: str) -> list[str]:
    """The page's fenced code blocks in ``language``, in order."""
    return re.findall(rf"```{language}\n(.*?)```", TUTORIAL.read_text(), flags=re.S)


def tutorial_commands() -> list[tuple[dict[str, str], list[str]]]:
    """``(environment, tagregistry arguments)`` of each shell line that runs tagregistry."""
    commands = []
    for block in tutorial_blocks("bash"):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            env = {}
            while words and re.fullmatch(r"[A-Z_]+=\S+", words[0]):
                key, value = words.pop(0).split("=", 1)
                env[key] = value
            if words and words[0] == "tagregistry":
                commands.append((env, words[1:]))
    return commands


def _smiles(n: int) -> list[str]:
    from rdkit import RDConfig

    lines = (Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi").read_text().splitlines()
    return [line.split()[0] for line in lines if line.strip()][:n]


def _write(path: Path, molecules: list[str]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["smiles", "solubility"])
        writer.writerows([m, f"{-len(m) / 10:.2f}"] for m in molecules)


def _column(path: Path, name: str) -> list[str]:
    with path.open(newline="") as handle:
        return [row[name] for row in csv.DictReader(handle)]


def test_the_tutorial_runs_as_written(tmp_path, monkeypatch, local_base) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"TAGREGISTRY_HOME": str(tmp_path / "home"), "OMP_NUM_THREADS": "1",
           "TAGREGISTRY_NUM_THREADS": "1"}
    monkeypatch.setenv("TAGREGISTRY_HOME", env["TAGREGISTRY_HOME"])
    molecules = _smiles(100)
    _write(tmp_path / "train.csv", molecules[:80])
    _write(tmp_path / "test.csv", molecules[80:])
    with Registry() as registry:  # <SMILES> for the tiny base (users install the shipped one)
        registry.train({"stage": 1, "tag": "SMILES", "base": str(local_base),
                        "data": {"file": "train.csv", "text_field": "smiles"},
                        "hyper": {"n_vectors": 2, "max_steps": 2, "batch_size": 8}},
                       output_dir=tmp_path / "stage1", progress=False)
    recipe = next(yaml.safe_load(b) for b in tutorial_blocks("yaml") if b.startswith("stage: 2"))
    assert isinstance(recipe["function"], dict)  # defined in the recipe, no plugin
    recipe["base"] = str(local_base)
    recipe["hyper"].update({"n_vectors": 2, "max_steps": 4, "batch_size": 8})
    recipe["eval"]["every"] = 2
    (tmp_path / "solubility.yaml").write_text(yaml.safe_dump(recipe))

    commands = tutorial_commands()
    names = [args[0] for _, args in commands]
    assert names == ["install-pack", "train", "evaluate", "evaluate", "predict", "save-pack",
                     "load-pack", "predict"], names
    outputs = {}
    for index, (extra, args) in enumerate(commands):
        if args[0] == "install-pack":
            continue  # the shipped pack is bound to SmolLM2
        run_env = {**env, **{k: str(tmp_path / v) for k, v in extra.items()}}
        if args[0] in COMPOSING:
            args = [*args, "--base", str(local_base)]
        done = run_cli(*args, env=run_env, timeout=600)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        outputs[index] = done

    assert "step 2/4: validation_mse=" in outputs[1].stderr  # validation in the progress log
    report = json.loads((tmp_path / "solubility-eval.json").read_text())
    assert [row["method"] for row in report["rows"]] == ["tag", "mean", "nn", "ridge", "mlp"]
    assert report["counts"]["scored"] == 20 and report["data"]["split"] == "test"
    assert "ridge" in outputs[3].stdout and "mlp" not in outputs[3].stdout
    assert "warning:" not in outputs[5].stderr  # the recipe's spec travels in the pack
    mine = _column(tmp_path / "predictions.csv", "Solubility")
    assert len(mine) == 20 and all(float(v) == float(v) for v in mine)
    assert _column(tmp_path / "colleague.csv", "Solubility") == mine  # same numbers after load-pack
    # nothing of this disk's layout leaves in the record or the pack; the run folder says
    # which rows went where
    shown = run_cli("show", "Solubility", "--json", env=env)
    assert str(tmp_path) not in shown.stdout and str(tmp_path) not in (
        tmp_path / "solubility-pack" / "tagpack.json").read_text()
    record = json.loads(shown.stdout)
    assert record["source"]["recipe"]["data"]["files"] == {"train": "train.csv", "test": "test.csv"}
    splits = json.loads(next((tmp_path / "home" / "runs").glob("Solubility-*/splits.json")).read_text())
    assert splits["test"] == {"file": "test.csv", "rows": list(range(20))}
    assert sorted(splits["train"]["rows"] + splits["validation"]["rows"]) == list(range(80))
