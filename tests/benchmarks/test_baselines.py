"""The baseline harness: the product's baselines on a task's splits, PEFT baselines and Tag-LLM rows end to end
on a tiny random base saved to a folder (nothing downloaded)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from benchmarks import baselines
from benchmarks.tasks import get_task, load_split
from tagregistry.heads import RegressionHead
from tagregistry.models.loading import load_base
from tagregistry.plugins.manager import get_catalog
from tagregistry.registry import Registry
from tagregistry.store.tag_store import HeadPayload
from tagregistry.testing import tiny_model, tiny_tokenizer

LIMITS = ["--train-limit", "24", "--validation-limit", "8", "--test-limit", "8"]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("tiny-llama")
    tiny_model("llama").save_pretrained(folder)
    tiny_tokenizer().save_pretrained(folder)
    return str(folder)


def _register_tags(home: Path, tiny_dir: str, names: list[str]) -> None:
    loaded = load_base(tiny_dir)
    catalog = get_catalog()
    gen = torch.Generator().manual_seed(0)
    with Registry(f"sqlite:///{home / 'registry.db'}") as registry:
        for name in names:
            tensor = torch.randn(3, loaded.hidden_size, generator=gen) * 0.02
            if name in catalog.domains:
                registry.register(name, tensor, base=loaded.record, kind="domain")
                continue
            head = RegressionHead(loaded.hidden_size, catalog.functions[name].head)
            registry.register(name, tensor, base=loaded.record, kind="function",
                              source={"domains": ["SMILES"]},
                              head=HeadPayload(spec=head.spec, tensors=head.state_dict(),
                                               config={"label_mean": [0.6], "label_std": [0.2]}))


def test_every_method_side_by_side_and_merged_into_json(tiny_dir: str, tmp_path: Path,
                                                        capsys) -> None:
    home = tmp_path / "home"
    home.mkdir()
    _register_tags(home, tiny_dir, ["SMILES", "QED"])
    out = tmp_path / "results"
    argv = ["--task", "qed-nci", "--methods", "mean,nn,ridge,mlp,prompt-tuning,lora,taglm",
            "--base", tiny_dir, "--steps", "3", "--batch", "4", "--home", str(home),
            "--results-dir", str(out), *LIMITS]
    rows = baselines.run(argv)
    assert [r["method"].split(" (")[0] for r in rows] == [
        "training mean", "nearest neighbour", "ridge probe on frozen base",
        "MLP probe on frozen base", "PEFT prompt tuning", "PEFT LoRA", "Tag-LLM SMILES@1 + QED@1"]
    printed = capsys.readouterr().out
    assert "PEFT LoRA (r=8)" in printed and "Tag-LLM SMILES@1 + QED@1" in printed
    stored = json.loads((out / "baselines-qed-nci.json").read_text())
    assert stored["sizes"] == {"train": 24, "validation": 8, "test": 8}
    assert all(r["command"].startswith("python -m benchmarks.baselines --task qed-nci")
               for r in stored["rows"])
    task = get_task("qed-nci", {"train": 24, "validation": 8, "test": 8})
    truth = [r["label"] for r in load_split(task, "test")]
    mean = sum(r["label"] for r in load_split(task, "train")) / 24
    expected = sum((mean - t) ** 2 for t in truth) / len(truth)
    assert stored["rows"][0]["metrics"]["mse"] == pytest.approx(expected)
    pt, lora = stored["rows"][4], stored["rows"][5]
    assert pt["trainable_parameters"] == 10 * 32 + 33  # p vectors + the linear head
    assert lora["trainable_parameters"] > pt["trainable_parameters"]
    assert stored["rows"][6]["tags"][1]["ref"] == "QED@1"
    # the same numbers the product's evaluation gives for these records
    from tagregistry.evaluation.run import baseline_predictions
    from tagregistry.heads.metrics import mse

    parts = {name: (load_split(task, split), [r["label"] for r in load_split(task, split)])
             for name, split in (("train", "train"), ("validation", "validation"), ("scored", "test"))}
    with Registry(f"sqlite:///{home / 'registry.db'}") as registry:
        model = registry.compose("SMILES", "QED", base=tiny_dir)
        found = baseline_predictions(model, "QED", parts, ["nn", "ridge"])
    assert stored["rows"][1]["metrics"]["mse"] == pytest.approx(mse(found["nn"][0], truth))
    assert stored["rows"][2]["metrics"]["mse"] == pytest.approx(mse(found["ridge"][0], truth))

    tiny = ["--base", tiny_dir, "--home", str(home)]  # the product's mean reads through the tags
    baselines.run(["--task", "qed-nci", "--methods", "mean", "--results-dir", str(out), *tiny, *LIMITS])
    merged = json.loads((out / "baselines-qed-nci.json").read_text())
    assert len(merged["rows"]) == 7 and merged["rows"][-1]["method"] == "training mean"
    baselines.run(["--task", "qed-nci", "--methods", "mean", "--results-dir", str(out), *tiny,
                   "--train-limit", "20", "--validation-limit", "8", "--test-limit", "8"])
    other_data = json.loads((out / "baselines-qed-nci.json").read_text())
    assert [r["method"] for r in other_data["rows"]] == ["training mean"]  # old rows dropped


def test_selfies_zero_shot_rows(tiny_dir: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    _register_tags(home, tiny_dir, ["SMILES", "SELFIES", "QED"])
    rows = baselines.run(["--task", "qed-selfies-zeroshot", "--base", tiny_dir, "--home",
                          str(home), "--results-dir", str(tmp_path), *LIMITS])
    names = [r["method"] for r in rows]
    assert names[0] == "training mean"
    assert names[1].startswith("<SELFIES> + <QED> zero-shot") and rows[1]["zero_shot"] is True
    assert names[2].startswith("<QED> with no domain tag")
    assert names[3].startswith("reference: <SMILES> + <QED>")
    assert rows[1]["metrics"]["mse"] != rows[2]["metrics"]["mse"]
    assert all(r["metrics"]["n"] == rows[0]["metrics"]["n"] for r in rows)


def test_unknown_task_and_method_are_refused() -> None:
    with pytest.raises(SystemExit):
        baselines.parse_args(["--task", "qed-zinc"])
    with pytest.raises(SystemExit):
        baselines.parse_args(["--task", "qed-nci", "--methods", "mean,svm"])
