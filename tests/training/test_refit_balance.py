"""``hyper.refit_balance``: a head refit in which every group of examples weighs the same."""

from __future__ import annotations

import json

import pytest
import torch

from tagregistry.errors import InputError
from tagregistry.heads import ClassificationHead, RegressionHead
from tagregistry.heads.logistic import refit_logistic_head
from tagregistry.heads.ridge import refit_ridge_head
from tagregistry.heads.weights import group_weights
from tagregistry.specs import HeadSpec
from tagregistry.training.recipe import RecipeError, load_recipe


def test_group_weights_give_each_group_the_same_total():
    w = group_weights(["a", "a", "a", "b"], 4)
    assert float(w.sum()) == pytest.approx(1.0)
    assert float(w[:3].sum()) == pytest.approx(0.5) and float(w[3]) == pytest.approx(0.5)
    assert torch.allclose(group_weights(None, 4), torch.full((4,), 0.25, dtype=torch.float64))
    with pytest.raises(ValueError, match="3 groups for 4 examples"):
        group_weights(["a", "b", "c"], 4)


def _two_sources(n_big: int, n_small: int, seed: int = 0):
    """Two sources whose targets follow different linear rules of the same features."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n_big + n_small, 6, generator=gen, dtype=torch.float64)
    rule_big = torch.tensor([[1.0], [-1.0], [0.5], [0.0], [2.0], [0.0]], dtype=torch.float64)
    rule_small = torch.tensor([[0.0], [1.0], [0.5], [2.0], [-1.0], [1.0]], dtype=torch.float64)
    y = torch.cat([x[:n_big] @ rule_big, x[n_big:] @ rule_small])
    return x, y, ["big"] * n_big + ["small"] * n_small


def test_balanced_ridge_equals_repeating_the_small_group():
    """Weights 1/(G n_g) are the unweighted fit on data where the small group is repeated."""
    x, y, groups = _two_sources(60, 20)
    xv, yv = x[:10], y[:10]  # one validation set for both, so both pick by the same errors
    balanced = RegressionHead(6, HeadSpec(type="regression"))
    found = refit_ridge_head(balanced, (x, y), (xv, yv), groups=(groups, ["v"] * 10))
    repeated = RegressionHead(6, HeadSpec(type="regression"))
    x3 = torch.cat([x[:60], x[60:], x[60:], x[60:]])
    y3 = torch.cat([y[:60], y[60:], y[60:], y[60:]])
    plain = refit_ridge_head(repeated, (x3, y3), (xv, yv))
    assert found["ridge_alpha"] == pytest.approx(plain["ridge_alpha"])
    with torch.no_grad():
        assert torch.allclose(balanced(x.float()), repeated(x.float()), atol=1e-5)


def test_balancing_helps_the_small_group():
    x, y, groups = _two_sources(300, 30)
    xv, yv, vgroups = _two_sources(100, 100, seed=1)
    plain, balanced = (RegressionHead(6, HeadSpec(type="regression")) for _ in range(2))
    refit_ridge_head(plain, (x, y), (xv, yv))
    refit_ridge_head(balanced, (x, y), (xv, yv), groups=(groups, vgroups))
    small = slice(100, 200)
    with torch.no_grad():
        err_plain = float(((plain(xv[small].float()) - yv[small]) ** 2).mean())
        err_balanced = float(((balanced(xv[small].float()) - yv[small]) ** 2).mean())
    assert err_balanced < 0.8 * err_plain


def test_balanced_logistic_refit_weighs_groups():
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(220, 4, generator=gen, dtype=torch.float64)
    y = torch.cat([(x[:200, 0] > 0).long(), (x[200:, 1] > 0).long()])  # the small group's rule differs
    groups = ["big"] * 200 + ["small"] * 20
    plain, balanced = (ClassificationHead(4, HeadSpec(type="classification", output_dim=2)) for _ in range(2))
    refit_logistic_head(plain, (x, y), (x, y))
    found = refit_logistic_head(balanced, (x, y), (x, y), groups=(groups, groups))
    assert 0.0 <= found["logistic_validation_accuracy"] <= 1.0
    with torch.no_grad():
        small_plain = float((plain(x[200:].float()).argmax(1) == y[200:]).double().mean())
        small_balanced = float((balanced(x[200:].float()).argmax(1) == y[200:]).double().mean())
    assert small_balanced > small_plain


def test_recipe_refuses_balance_without_a_refit():
    with pytest.raises(RecipeError, match="refit_balance weights the head refit"):
        load_recipe({"stage": 2, "tag": "TestScore", "data": {"file": "x.jsonl"},
                     "hyper": {"refit_balance": "source"}})


def test_training_with_refit_balance(trained_domain, registry, catalog, base, mol_file, hyper, tmp_path):
    rows = [json.loads(line) for line in mol_file.read_text().splitlines()]
    grouped = tmp_path / "grouped.jsonl"
    grouped.write_text("".join(json.dumps({**r, "source": "a" if i % 4 else "b"}) + "\n"
                               for i, r in enumerate(rows)))
    recipe = {"stage": 2, "tag": "TestScore", "data": {"file": str(grouped)},
              "hyper": hyper(readout="mean", readout_layers=[1, -1], head_refit="ridge",
                             refit_balance="source")}
    record = registry.train(recipe, catalog=catalog, base=base, output_dir=tmp_path / "b",
                            progress=False).records[0]
    assert record.metrics["train_ridge_alpha"] > 0
    assert record.source["recipe"]["hyper"]["refit_balance"] == "source"
    with pytest.raises(InputError, match="record 0 has no 'source' value, which hyper.refit_balance"):
        registry.train({**recipe, "data": {"file": str(mol_file)}}, catalog=catalog, base=base,
                       output_dir=tmp_path / "m", progress=False)
