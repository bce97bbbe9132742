"""Heads that read the mean of the function tag's positions over several layers."""

from __future__ import annotations

import json

import pytest
import torch
from support.tiny_trainer import loss_and_grads, tiny_trainer

from tagregistry.engine.readout import Readout
from tagregistry.errors import InputError, TagRegistryError
from tagregistry.heads import RegressionHead
from tagregistry.heads.layers import fold_feature_norm
from tagregistry.heads.ridge import refit_ridge_head
from tagregistry.specs import HeadSpec
from tagregistry.training.data import random_split
from tagregistry.training.examples import collate_examples
from tagregistry.training.recipe import RecipeError, SplitConfig, load_recipe

TEMPLATE = "The molecule {TestMol:mol} scores {TestScore}"
RECORDS = [{"mol": m, "label": float(len(m))} for m in ("CCO", "c1ccccc1O", "N", "CC(=O)Oc1ccccc1C(=O)O")]


def test_mean_pool_reads_exactly_the_window():
    states = [torch.arange(2 * 5 * 3, dtype=torch.float32).reshape(2, 5, 3)]
    feats = Readout("mean", (3,)).features(states, torch.tensor([1, 3]), torch.tensor([3, 4]))
    assert torch.equal(feats[0], states[0][0, 1:4].mean(0))
    assert torch.equal(feats[1], states[0][1, 3:5].mean(0))
    last = Readout("last", (3, -1)).features(states + states, torch.tensor([1, 3]), torch.tensor([3, 4]))
    assert torch.equal(last, torch.cat([states[0][[0, 1], [3, 4]]] * 2, dim=-1))


def test_readout_config_round_trip_and_errors():
    readout = Readout("mean", (15, -1))
    assert Readout.from_config({"readout": readout.to_config()}) == readout
    assert Readout.from_config({}) == Readout() and Readout().is_default
    assert readout.width(576) == 1152 and readout.intermediate
    for pool, layers in (("max", (1,)), ("mean", ()), ("mean", (-2,)), ("mean", (3, 3)),
                         ("mean", (True,))):
        with pytest.raises(InputError):
            Readout(pool, layers)
    with pytest.raises(InputError, match="do not exist"):
        Readout("mean", (31,)).check(30)


def test_recipe_validates_readout_layers():
    base = {"stage": 2, "tag": "QED", "data": {"dataset": "x"}}
    recipe = load_recipe({**base, "hyper": {"readout": "mean", "readout_layers": [15, -1]}})
    assert recipe.hyper.head_readout() == Readout("mean", (15, -1)) and recipe.hyper.standardize
    assert not load_recipe(base).hyper.standardize
    with pytest.raises(RecipeError, match="readout layers"):
        load_recipe({**base, "hyper": {"readout_layers": [-3]}})


@pytest.mark.parametrize("values", [False, True], ids=["tag", "tag+values"])
@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_intermediate_readout_fast_gradients_equal_naive(arch, values, catalog):
    """Also with ``readout_values``: the values' states come from the no-grad prefix pass."""
    trainer, examples = tiny_trainer(arch, catalog, TEMPLATE, ["mol"], RECORDS,
                                     {"TestMol": 2, "TestScore": 4}, "TestScore",
                                     readout=Readout("mean", (1, -1), values=values))
    batch = collate_examples(examples, trainer.table.layout(), 1)
    fast_loss, fast = loss_and_grads(trainer, batch, fast=True)
    slow_loss, slow = loss_and_grads(trainer, batch, fast=False)
    assert torch.allclose(fast_loss, slow_loss, atol=1e-5)
    for name in fast:
        assert fast[name].abs().sum() > 0
        assert torch.allclose(fast[name], slow[name], atol=1e-5, rtol=1e-4), name


def test_folding_feature_norm_preserves_outputs():
    torch.manual_seed(0)
    head = RegressionHead(6, HeadSpec(type="regression"))
    x = torch.randn(5, 6) * 100 + 7
    mean, std = x.mean(0), x.std(0)
    before = head((x - mean) / std)
    fold_feature_norm(head, mean, std)
    assert torch.allclose(head(x), before, atol=1e-4)


def test_trained_mean_readout_composes_to_the_same_test_metric(trained_domain, registry, catalog, base,
                                                               mol_file, hyper, tmp_path):
    recipe = {"stage": 2, "tag": "TestScore", "data": {"file": str(mol_file)},
              "hyper": hyper(readout="mean", readout_layers=[1, -1])}
    result = registry.train(recipe, catalog=catalog, base=base, output_dir=tmp_path / "s2",
                            progress=False)
    record = result.records[0]
    assert record.head.config["readout"] == {"pool": "mean", "layers": [1, -1]}
    assert record.source["recipe"]["hyper"]["readout"] == "mean"
    rows = [json.loads(line) for line in mol_file.read_text().splitlines()]
    test = random_split(rows, SplitConfig(), seed=0).test
    model = registry.compose("TestMol", "TestScore", base=base, catalog=catalog)
    preds = model.predict_batch([{"mol": r["mol"]} for r in test])
    mse = sum((p - r["label"]) ** 2 for p, r in zip(preds, test, strict=True)) / len(test)
    # the stored (folded) head read through compose reproduces what training measured
    assert mse == pytest.approx(record.metrics["test_mse"], rel=1e-4)
    many = model.predict_many(["TestScore"], mol=test[0]["mol"])
    assert many["TestScore"] == pytest.approx(preds[0], rel=1e-5)


def test_ridge_refit_recovers_a_linear_target():
    torch.manual_seed(0)
    x = torch.randn(200, 5)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [0.0], [3.0]]) + 0.25
    head = RegressionHead(5, HeadSpec(type="regression"))
    found = refit_ridge_head(head, (x[:150], y[:150]), (x[150:], y[150:]))
    assert found["ridge_validation_mse"] < 1e-4
    assert torch.allclose(head(x[150:]), y[150:], atol=1e-2)


def test_head_refit_after_training_is_what_composes(trained_domain, registry, catalog, base, mol_file,
                                                   hyper, tmp_path):
    recipe = {"stage": 2, "tag": "TestScore", "data": {"file": str(mol_file)},
              "hyper": hyper(readout="mean", readout_layers=[1, -1], head_refit="ridge")}
    record = registry.train(recipe, catalog=catalog, base=base, output_dir=tmp_path / "s2",
                            progress=False).records[0]
    assert record.metrics["train_ridge_alpha"] > 0
    rows = [json.loads(line) for line in mol_file.read_text().splitlines()]
    model = registry.compose("TestMol", "TestScore", base=base, catalog=catalog)
    for split in ("test", "validation"):  # validation metrics come from the refit's features
        rows_of = getattr(random_split(rows, SplitConfig(), seed=0), split)
        preds = model.predict_batch([{"mol": r["mol"]} for r in rows_of])
        mse = sum((p - r["label"]) ** 2 for p, r in zip(preds, rows_of, strict=True)) / len(rows_of)
        assert mse == pytest.approx(record.metrics[f"{split}_mse"], rel=1e-4)
    names = {split: {k.split("_", 1)[1] for k in record.metrics if k.startswith(f"{split}_")}
             for split in ("validation", "test")}
    assert names["validation"] == names["test"] and "mae" in names["test"]


def test_head_refit_refuses_classification(trained_domain, registry, catalog, base, mol_file, hyper,
                                           tmp_path):
    recipe = {"stage": 2, "tag": "TestClass", "data": {"file": str(mol_file)},
              "hyper": hyper(head_refit="ridge")}
    recipe["data"]["label_field"] = "cls"
    with pytest.raises(TagRegistryError, match="refits regression heads"):
        registry.train(recipe, catalog=catalog, base=base, output_dir=tmp_path / "c", progress=False)
    assert all(r.name != "TestClass" for r in registry.list())


def test_ridge_refit_on_noise_shrinks_towards_the_mean():
    """Features that carry nothing: validation picks a strength that predicts about the mean."""
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(300, 40, generator=gen)
    y = torch.randn(300, 1, generator=gen) + 2.0
    head = RegressionHead(40, HeadSpec(type="regression"))
    found = refit_ridge_head(head, (x[:100], y[:100]), (x[100:], y[100:]))
    mean_mse = float(((y[100:] - y[:100].mean()) ** 2).mean())
    assert found["ridge_validation_mse"] <= mean_mse * 1.02
    with torch.no_grad():
        assert float(head(x[100:]).std()) < 0.1 * float(y.std())


def test_logistic_refit_separates_classes_and_picks_a_strength():
    from tagregistry.heads import ClassificationHead
    from tagregistry.heads.logistic import LOGISTIC_GRID, refit_logistic_head

    gen = torch.Generator().manual_seed(2)
    x = torch.randn(400, 12, generator=gen)
    y = (x @ torch.randn(12, 3, generator=gen)).argmax(1)  # three linearly separable classes
    head = ClassificationHead(12, HeadSpec(type="classification", output_dim=3))
    found = refit_logistic_head(head, (x[:300], y[:300]), (x[300:], y[300:]))
    assert found["logistic_l2"] in LOGISTIC_GRID
    assert found["logistic_validation_accuracy"] > 0.9
    with torch.no_grad():
        predicted = head(x[300:]).argmax(1)
    assert float((predicted == y[300:]).float().mean()) == pytest.approx(
        found["logistic_validation_accuracy"])


def test_logistic_refit_after_training_is_what_composes(trained_domain, registry, catalog, base,
                                                        mol_file, hyper, tmp_path):
    recipe = {"stage": 2, "tag": "TestClass", "data": {"file": str(mol_file), "label_field": "cls"},
              "hyper": hyper(readout="mean", readout_layers=[1, -1], head_refit="logistic")}
    record = registry.train(recipe, catalog=catalog, base=base, output_dir=tmp_path / "c",
                            progress=False).records[0]
    assert record.metrics["train_logistic_l2"] > 0
    rows = [json.loads(line) for line in mol_file.read_text().splitlines()]
    model = registry.compose("TestMol", "TestClass", base=base, catalog=catalog)
    for split in ("test", "validation"):
        rows_of = getattr(random_split(rows, SplitConfig(), seed=0), split)
        preds = model.predict_batch([{"mol": r["mol"]} for r in rows_of])
        accuracy = sum(p == r["cls"] for p, r in zip(preds, rows_of, strict=True)) / len(rows_of)
        assert accuracy == pytest.approx(record.metrics[f"{split}_accuracy"])
    with pytest.raises(TagRegistryError, match="logistic refits classification heads.*"
                       r"set head_refit: ridge or none"):
        registry.train({**recipe, "tag": "TestScore", "data": {"file": str(mol_file)}},
                       catalog=catalog, base=base, output_dir=tmp_path / "r", progress=False)
