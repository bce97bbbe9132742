"""``evaluate``: a trained function tag beside the mean, nearest-neighbour, ridge and MLP
baselines, on its recipe's data, a plugin dataset or a user's file (tiny random base)."""

from __future__ import annotations

import json
import math

import pytest
from support.tables import write_csv

from tagregistry.errors import InputError
from tagregistry.evaluation import evaluate
from tagregistry.evaluation.scores import classification_scores, regression_scores
from tagregistry.heads.metrics import roc_auc

INLINE = {
    "name": "MyScore", "template": "The molecule is {TestMol:mol}. Its score is {MyScore}",
    "slots": [{"name": "mol", "domains": ["TestMol"]}], "head": {"type": "regression"},
}


@pytest.fixture
def trained(registry, catalog, base, trained_domain, mol_file, hyper, tmp_path, monkeypatch):
    """``MyScore`` (a recipe-defined function) trained on ``mol_file``, composed with TestMol."""
    monkeypatch.chdir(tmp_path)  # the record keeps data paths relative to the working folder
    registry.train({"stage": 2, "tag": "MyScore", "function": INLINE, "freeze": ["TestMol"],
                    "data": {"file": str(mol_file)}, "hyper": hyper(max_steps=10)},
                   catalog=catalog, base=base, output_dir=tmp_path / "run", progress=False)
    return registry.compose("TestMol", "MyScore", base=base, catalog=catalog)


def test_tag_beside_every_baseline_on_the_recipe_test_split(trained, catalog, tmp_path) -> None:
    report = evaluate(trained, catalog)
    assert [r["method"] for r in report.rows] == ["tag", "mean", "nn", "ridge", "mlp"]
    assert report.task == "regression" and report.label == "label"
    assert report.counts == {"train": 76, "validation": 10, "scored": 10}  # 96 rows, 10 % + 10 %
    assert report.data == {"file": "mols.jsonl", "split": "test", "feature_seconds":
                           report.data["feature_seconds"]}
    for row in report.rows:
        assert set(report.metrics) <= set(row) and all(math.isfinite(row[m]) for m in report.metrics)
    # the mean baseline is the training mean: its MSE is the test labels' spread around it
    from tagregistry.training.data import load_splits
    from tagregistry.training.recipe import DataSource, SplitConfig

    splits = load_splits(DataSource(file=str(tmp_path / "mols.jsonl")), SplitConfig(), 0, catalog)
    mean = sum(r["label"] for r in splits.train) / len(splits.train)
    expected = sum((mean - r["label"]) ** 2 for r in splits.test) / len(splits.test)
    assert report.row("mean")["mse"] == pytest.approx(expected)
    # labels are length / 10: the frozen base's features know the length, so a probe beats the mean
    assert min(report.row(m)["mse"] for m in ("ridge", "mlp", "nn")) < report.row("mean")["mse"]
    assert json.loads(json.dumps(report.as_dict()))["rows"][0]["ref"] == "MyScore@1"
    assert [t["ref"] for t in report.provenance["tags"]] == ["TestMol@1", "MyScore@1"]
    assert report.provenance["base"]["hidden_size"] == trained.base.hidden_size


def test_the_results_page_shows_what_evaluate_wrote(trained, catalog, tmp_path) -> None:
    """A task's rows on the Results page come from the ``--json`` report unchanged."""
    from benchmarks import make_results_page as page
    from benchmarks.results_evaluate import BASELINE_NAMES, merge_evaluations

    report = evaluate(trained, catalog)
    results = tmp_path / "results"
    results.mkdir()
    (results / "evaluate-myscore.json").write_text(json.dumps(report.as_dict()))
    earlier = {"task": "myscore", "dataset": "mols", "function": "MyScore", "test_split": "test",
               "note": "", "sizes": {"train": 76, "validation": 10, "test": 10},
               "rows": [{"method": "PEFT LoRA (r=8)", "metrics": {"mse": 1.0, "mae": 1.0, "pearson": 0.0,
                                                                  "n": 10}, "command": "peft"},
                        {"method": "Tag-LLM TestMol@1 + MyScore@1", "metrics": {"mse": 9.0}}]}
    documents = merge_evaluations({"myscore": earlier}, results)
    rows = {r["method"]: r for r in documents["myscore"]["rows"]}
    assert list(rows) == [*BASELINE_NAMES.values(), "PEFT LoRA (r=8)", "Tag-LLM TestMol@1 + MyScore@1"]
    for method, name in (("tag", "Tag-LLM TestMol@1 + MyScore@1"), *BASELINE_NAMES.items()):
        assert rows[name]["metrics"] == {**{m: report.row(method)[m] for m in report.metrics}, "n": 10}
    text = page.render(results)
    assert "## myscore" in text and "| Tag-LLM TestMol@1 + MyScore@1 |" in text


def test_a_users_file_is_scored_with_baselines_fitted_on_the_recipe_data(trained, catalog, tmp_path) -> None:
    rows = [{"mol": m, "target": len(m) / 10} for m in ["CCO", "c1ccccc1N", "ClF", "CCCCCCCC", "NO"]]
    rows.append({"mol": "", "target": 1.0})  # no molecule: left out, counted
    rows.append({"mol": "CN", "target": "n/a"})  # no number: left out, counted
    test = write_csv(tmp_path / "held-out.csv", rows)
    report = evaluate(trained, catalog, input=test, label="target", baselines=["mean", "ridge"])
    assert [r["method"] for r in report.rows] == ["tag", "mean", "ridge"]
    assert report.counts["scored"] == 5 and report.skipped["scored"] == 2
    assert report.counts["train"] == 76 and report.data["input"] == "held-out.csv"
    predicted = trained.predict_batch([{"mol": r["mol"]} for r in rows[:5]])
    assert report.row("tag")["mse"] == pytest.approx(
        regression_scores(predicted, [r["target"] for r in rows[:5]])["mse"])


def test_clear_errors(trained, catalog, tmp_path, monkeypatch) -> None:
    with pytest.raises(InputError, match="unknown baseline.*knn.*mean, nn, ridge, mlp"):
        evaluate(trained, catalog, baselines=["knn"])
    with pytest.raises(InputError, match="none of the 76 train records has .*'nope' label.*--label"):
        evaluate(trained, catalog, label="nope")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with pytest.raises(InputError, match=r"trained on 'mols.jsonl' .* not in .*elsewhere.*folder it was trained in"):
        evaluate(trained, catalog)
    (elsewhere / "mols.jsonl").write_text('{"mol": "C", "label": 1}\n')
    with pytest.raises(InputError, match="not the file MyScore@1 was trained on"):
        evaluate(trained, catalog)


def test_classification_scores_and_roc_auc() -> None:
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == 0.75
    assert roc_auc([1, 1, 1], [True, False, True]) == 0.5
    assert math.isnan(roc_auc([0.2, 0.3], [True, True]))
    scores = classification_scores([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]], [0, 1, 1, 1])
    assert scores == {"accuracy": 0.75, "roc_auc": 1.0}
    three = classification_scores([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 1, 2])
    assert three == {"accuracy": 1.0, "roc_auc": 1.0}


def test_classification_tag_beside_baselines(registry, catalog, base, trained_domain, mol_file, hyper,
                                             tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    registry.train({"stage": 2, "tag": "TestClass", "freeze": ["TestMol"],
                    "data": {"file": str(mol_file), "label_field": "cls"}, "hyper": hyper()},
                   catalog=catalog, base=base, output_dir=tmp_path / "cls", progress=False)
    model = registry.compose("TestMol", "TestClass", base=base, catalog=catalog)
    report = evaluate(model, catalog, split="validation")
    assert report.task == "classification" and report.label == "cls"
    assert [r["method"] for r in report.rows] == ["tag", "mean", "nn", "ridge", "mlp"]
    for row in report.rows:
        assert 0.0 <= row["accuracy"] <= 1.0
    assert report.row("mean")["roc_auc"] == pytest.approx(0.5)  # one score for every record


def _mol_records(split: str, limit: int | None = None, seed: int = 0) -> list[dict]:
    from support.molecules import make_molecules

    molecules = make_molecules(40, seed={"train": 1, "validation": 2, "test": 3, "test_scaffolds": 4}[split])
    return [{"mol": m, "y": len(m) / 10} for m in molecules][:limit]


class _MolData:
    from tagregistry.plugins.hookspecs import hookimpl

    @hookimpl
    def tagregistry_datasets(self):
        from tagregistry.specs import DatasetSpec

        return [DatasetSpec(name="mol-lengths", loader=f"{__name__}:_mol_records",
                            splits=["train", "validation", "test", "test_scaffolds"])]


def test_a_plugin_dataset_with_its_own_splits(trained, tmp_path) -> None:
    from tagregistry.plugins.manager import Catalog
    from tagregistry.testing import testing_plugin

    catalog = Catalog(extra=[("testing", testing_plugin), ("mols", _MolData())])
    report = evaluate(trained, catalog, data="mol-lengths", label="y", baselines=["mean", "nn"])
    assert report.data == {"dataset": "mol-lengths", "split": "test",
                           "feature_seconds": report.data["feature_seconds"]}
    assert report.counts == {"train": 40, "validation": 40, "scored": 40} and report.label == "y"
    truth = [r["y"] for r in _mol_records("test")]
    mean = sum(r["y"] for r in _mol_records("train")) / 40
    assert report.row("mean")["mae"] == pytest.approx(sum(abs(mean - t) for t in truth) / 40)


def test_the_recipes_limit_is_kept_unless_overridden(registry, catalog, base, trained_domain, mol_file,
                                                     hyper, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    registry.train({"stage": 2, "tag": "MyScore", "function": INLINE, "freeze": ["TestMol"],
                    "data": {"file": str(mol_file), "limit": 40}, "hyper": hyper()},
                   catalog=catalog, base=base, output_dir=tmp_path / "run", progress=False)
    model = registry.compose("TestMol", "MyScore", base=base, catalog=catalog)
    same = evaluate(model, catalog, baselines=["mean"])
    assert same.counts == {"train": 40, "validation": 10, "scored": 10}
    assert same.row("tag")["mse"] == pytest.approx(model.binding().record.metrics["test_mse"], rel=1e-4)
    smaller = evaluate(model, catalog, baselines=["mean"], limit=20)
    assert smaller.counts == {"train": 20, "validation": 5, "scored": 5}


def test_per_split_limits_and_a_datasets_extra_split(trained, tmp_path) -> None:
    """MOSES-style subsamples: per-split limits, and a split beyond test (``test_scaffolds``)."""
    from tagregistry.cli.evaluate_command import limit_argument
    from tagregistry.plugins.manager import Catalog
    from tagregistry.testing import testing_plugin

    catalog = Catalog(extra=[("testing", testing_plugin), ("mols", _MolData())])
    limits = limit_argument("train=30,validation=8,test=12")
    assert limits == {"train": 30, "validation": 8, "test": 12} and limit_argument("20") == 20
    report = evaluate(trained, catalog, data="mol-lengths", label="y", baselines=["mean"], limit=limits)
    assert report.counts == {"train": 30, "validation": 8, "scored": 12}
    extra = evaluate(trained, catalog, data="mol-lengths", label="y", baselines=["mean"],
                     split="test_scaffolds", limit={"train": 30, "test_scaffolds": 7})
    assert extra.counts == {"train": 30, "validation": 40, "scored": 7}
    assert extra.data["split"] == "test_scaffolds"
    mean = sum(r["y"] for r in _mol_records("train", 30)) / 30
    truth = [r["y"] for r in _mol_records("test_scaffolds", 7)]
    assert extra.row("mean")["mae"] == pytest.approx(sum(abs(mean - t) for t in truth) / 7)
    with pytest.raises(InputError, match="no split 'ood'.*train, validation, test, test_scaffolds"):
        evaluate(trained, catalog, data="mol-lengths", label="y", baselines=["mean"], split="ood")
    with pytest.raises(InputError, match="split must be one of train, validation, test for data from files"):
        evaluate(trained, catalog, baselines=["mean"], split="test_scaffolds")
    import argparse

    for bad in ("0", "train=", "train=x", "=5"):
        with pytest.raises(argparse.ArgumentTypeError):
            limit_argument(bad)
