"""The baseline harness: probes, cached features, PEFT baselines and Tag-LLM rows end to end
on a tiny random base saved to a folder (nothing downloaded)."""

from __future__ import annotations

import json
from pathlib import Path

import baselines
import numpy as np
import pytest
import torch
from harness import features, probes
from harness.tasks import get_task, load_split

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


def test_mean_and_nearest_neighbour() -> None:
    assert probes.mean_baseline([1.0, 2.0, 6.0], 2) == [3.0, 3.0]
    train = ["CCO", "c1ccccc1", "CC(=O)O"]
    pred = probes.nearest_neighbour(train, [0.1, 0.2, 0.3], ["c1ccccc1", "CCCO", "CC(=O)OC"])
    assert pred == [0.2, 0.1, 0.3]


def test_ridge_probe_picks_the_informative_pooling_and_layer() -> None:
    rng = np.random.default_rng(0)
    layers = [1, 2, 3, 4]

    def split(n: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
        feats = {"mean": rng.normal(size=(n, 4, 8)), "last": rng.normal(size=(n, 4, 8))}
        return feats, feats["last"][:, 2] @ np.arange(1.0, 9.0)

    (train, y_train), (val, y_val), (test, y_test) = split(200), split(50), split(50)
    result = probes.ridge_probe(train, y_train, val, y_val, test, layers)
    assert result["choice"]["pooling"] == "last"
    assert result["choice"]["view"] == "layer 3"
    assert len(result["validation_mse"]) == 2 * 5  # 4 layers + middle+last, two poolings
    assert np.mean((np.array(result["predictions"]) - y_test) ** 2) < 0.01 * np.var(y_test)


def test_mlp_probe_fits_a_curved_target_the_ridge_probe_cannot() -> None:
    rng = np.random.default_rng(1)
    layers = [1, 2]

    def split(n: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
        factors = rng.normal(size=(n, 2))
        mean = np.concatenate([factors.repeat(4, axis=1), rng.normal(size=(n, 8))], 1)
        feats = {"mean": mean.reshape(n, 2, 8), "last": rng.normal(size=(n, 2, 8))}
        return feats, factors[:, 0] ** 2 + np.sin(2 * factors[:, 1])

    (train, y_train), (val, y_val), (test, y_test) = split(600), split(200), split(200)
    ridge = probes.ridge_probe(train, y_train, val, y_val, test, layers)
    mlp = probes.mlp_probe(train, y_train, val, y_val, test, members=2, hidden=64)
    ridge_mse, mlp_mse = (np.mean((np.array(r["predictions"]) - y_test) ** 2) for r in (ridge, mlp))
    assert mlp_mse < 0.5 * ridge_mse
    assert mlp["choice"]["members"] == 2 and mlp["choice"]["pooling"] == "mean"


def test_features_are_cached_and_keyed_by_template(tiny_dir: str, monkeypatch) -> None:
    loaded = load_base(tiny_dir)
    values = ["CCO", "c1ccccc1O", "CC(=O)O"]
    first = features.extract(loaded, values, layers=[1, 2])
    assert first["mean"].shape == (3, 2, loaded.hidden_size)
    prompt = features.encode_plain(_encoder(loaded), features.DEFAULT_TEMPLATE, "SMILES", "OCC")
    span = prompt.values[0]
    assert loaded.tokenizer.decode(prompt.input_ids[span.start:span.end]).strip() == "CCO"

    def broken(*args, **kwargs):
        raise AssertionError("the base ran although the features are cached")

    monkeypatch.setattr(type(loaded.model.base_model), "forward", broken)
    again = features.extract(loaded, values, layers=[1, 2])
    for pooling in features.POOLINGS:
        np.testing.assert_array_equal(first[pooling], again[pooling])
    with pytest.raises(AssertionError, match="cached"):
        features.extract(loaded, values, layers=[1, 2], template="Molecule: {value}")


def _encoder(loaded):
    from tagregistry.engine.prompt import PromptEncoder

    return PromptEncoder(loaded.tokenizer, get_catalog())


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
    assert all(r["command"].startswith("python benchmarks/baselines.py --task qed-nci")
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

    baselines.run(["--task", "qed-nci", "--methods", "mean", "--results-dir", str(out), *LIMITS])
    merged = json.loads((out / "baselines-qed-nci.json").read_text())
    assert len(merged["rows"]) == 7 and merged["rows"][-1]["method"] == "training mean"
    baselines.run(["--task", "qed-nci", "--methods", "mean", "--results-dir", str(out),
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
