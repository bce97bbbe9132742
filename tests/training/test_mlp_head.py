"""Heads with a hidden layer (``hyper.head_hidden``), their refit (``head_refit: mlp``) and
readouts of the slot values' tokens (``hyper.readout_values``)."""

from __future__ import annotations

import json

import pytest
import torch

from tagregistry.engine.readout import Readout
from tagregistry.heads import RegressionHead
from tagregistry.heads.mlp import _Member, load_average, refit_mlp_head
from tagregistry.heads.ridge import refit_ridge_head
from tagregistry.specs import HeadSpec
from tagregistry.training.data import random_split
from tagregistry.training.recipe import RecipeError, SplitConfig, load_recipe


def test_hidden_head_shapes_and_linear_heads_unchanged():
    plain = RegressionHead(6, HeadSpec(type="regression"))
    assert set(plain.state_dict()) == {"linear.weight", "linear.bias"}  # stored heads still load
    deep = RegressionHead(6, HeadSpec(type="regression", hidden=4))
    assert {k: tuple(v.shape) for k, v in deep.state_dict().items()} == {
        "linear.weight": (4, 6), "linear.bias": (4,), "output.weight": (1, 4), "output.bias": (1,)}
    assert deep(torch.randn(3, 6)).shape == (3, 1)
    assert "hidden" not in HeadSpec(type="regression").model_dump()  # old records' JSON is unchanged
    assert HeadSpec(type="regression", hidden=4).model_dump()["hidden"] == 4


def test_average_of_members_is_one_wider_head():
    torch.manual_seed(0)
    members = [_Member(5, 3, 2).eval() for _ in range(3)]
    mean, std = torch.randn(5), torch.rand(5) + 0.5
    head = RegressionHead(5, HeadSpec(type="regression", output_dim=2, hidden=9))
    load_average(head, members, mean, std)
    x = torch.randn(7, 5)
    with torch.no_grad():
        expected = torch.stack([m((x - mean) / std) for m in members]).mean(0)
        assert torch.allclose(head(x), expected, atol=1e-5)


def _curved(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A curved target of two factors, each spread redundantly over several badly scaled
    features (as in hidden states, where input dropout then costs little)."""
    gen = torch.Generator().manual_seed(seed)
    factors = torch.randn(n, 2, generator=gen)
    copies = factors.repeat(1, 4) + 0.05 * torch.randn(n, 8, generator=gen)
    x = copies * torch.tensor([1.0, 1.0, 50.0, 50.0, 0.01, 0.01, 3.0, 3.0])
    return x, factors[:, :1] ** 2 - 1 + torch.sin(2 * factors[:, 1:2])


def test_mlp_refit_fits_what_a_linear_head_cannot():
    train, validation = _curved(600, 0), _curved(200, 1)
    linear = RegressionHead(8, HeadSpec(type="regression"))
    ridge = refit_ridge_head(linear, train, validation)
    head = RegressionHead(8, HeadSpec(type="regression", hidden=64))
    found = refit_mlp_head(head, train, validation, members=2, epochs=60)
    assert found["mlp_validation_mse"] < 0.3 * ridge["ridge_validation_mse"]
    assert found["mlp_members"] == 2 and 1 <= found["mlp_mean_epochs"] <= 60
    with torch.no_grad():  # the stored head reads raw features: standardisation is folded in
        mse = float(((head(validation[0]) - validation[1]) ** 2).mean())
    assert mse == pytest.approx(found["mlp_validation_mse"], rel=1e-4)
    again = RegressionHead(8, HeadSpec(type="regression", hidden=64))
    refit_mlp_head(again, train, validation, members=2, epochs=60)  # same seed, same head
    assert all(torch.equal(a, b) for a, b in zip(head.state_dict().values(), again.state_dict().values(),
                                                 strict=True))


def test_mlp_refit_balances_groups():
    from test_refit_balance import _two_sources  # two linear rules of the same features

    x, y, groups = _two_sources(300, 30)
    xv, yv, vgroups = _two_sources(100, 100, seed=1)
    errors = []
    for balance in (None, (groups, vgroups)):
        head = RegressionHead(6, HeadSpec(type="regression", hidden=32))
        found = refit_mlp_head(head, (x, y), (xv, yv), groups=balance, epochs=40)
        with torch.no_grad():
            big, small = (float(((head(xv[rows].float()) - yv[rows]) ** 2).mean())
                          for rows in (slice(0, 100), slice(100, 200)))
        assert found["mlp_validation_mse"] == pytest.approx((big + small) / 2, rel=1e-4)  # 100 + 100
        errors.append(small)
    assert errors[1] < 0.7 * errors[0]


def test_mlp_refit_refuses_a_linear_head_and_ridge_a_hidden_one():
    data = _curved(20, 0)
    with pytest.raises(TypeError, match="no hidden layer"):
        refit_mlp_head(RegressionHead(8, HeadSpec(type="regression")), data, data)
    with pytest.raises(TypeError, match="has a hidden layer"):
        refit_ridge_head(RegressionHead(8, HeadSpec(type="regression", hidden=3)), data, data)
    with pytest.raises(ValueError, match="does not split into 2 members"):
        refit_mlp_head(RegressionHead(8, HeadSpec(type="regression", hidden=3)), data, data, members=2)


def test_recipe_checks_head_settings():
    base = {"stage": 2, "tag": "QED", "data": {"dataset": "x"}}
    recipe = load_recipe({**base, "hyper": {"readout": "mean", "readout_layers": [3], "readout_values": True,
                                            "head_hidden": 8, "head_refit": "mlp", "refit_members": 2}})
    assert recipe.hyper.head_readout() == Readout("mean", (3,), values=True)
    for hyper, message in (({"head_hidden": 8, "head_refit": "ridge"}, "needs head_refit: mlp or none"),
                           ({"head_refit": "mlp"}, "set head_hidden"),
                           ({"head_hidden": 9, "head_refit": "mlp", "refit_members": 2}, "split evenly")):
        with pytest.raises(RecipeError, match=message):
            load_recipe({**base, "hyper": hyper})


def test_values_readout_reads_the_value_tokens():
    states = [torch.arange(2 * 5 * 3, dtype=torch.float32).reshape(2, 5, 3)]
    mask = torch.tensor([[False, True, True, False, False], [False, False, False, True, False]])
    readout = Readout("last", (4,), values=True)
    feats = readout.features(states, torch.tensor([4, 4]), torch.tensor([4, 4]), mask)
    assert torch.equal(feats[0], torch.cat([states[0][0, 4], states[0][0, 1:3].mean(0)]))
    assert torch.equal(feats[1], torch.cat([states[0][1, 4], states[0][1, 3]]))
    assert readout.width(3) == 6 and not readout.is_default
    assert Readout.from_config({"readout": readout.to_config()}) == readout
    assert "values" not in Readout("mean", (4,)).to_config()  # old configs unchanged
    with pytest.raises(ValueError, match="reads the slot values"):
        readout.features(states, torch.tensor([4, 4]), torch.tensor([4, 4]))


def test_mlp_head_on_values_readout_composes_to_the_training_metrics(trained_domain, registry, catalog,
                                                                     base, mol_file, hyper, tmp_path):
    recipe = {"stage": 2, "tag": "TestScore", "data": {"file": str(mol_file)},
              "hyper": hyper(readout="mean", readout_layers=[1, -1], readout_values=True, head_hidden=8,
                             head_refit="mlp", refit_members=2, refit_epochs=5)}
    record = registry.train(recipe, catalog=catalog, base=base, output_dir=tmp_path / "s2",
                            progress=False).records[0]
    assert record.head.spec.hidden == 8 and record.head.config["readout"]["values"] is True
    assert record.metrics["train_mlp_members"] == 2
    rows = [json.loads(line) for line in mol_file.read_text().splitlines()]
    model = registry.compose("TestMol", "TestScore", base=base, catalog=catalog)
    for split in ("test", "validation"):
        rows_of = getattr(random_split(rows, SplitConfig(), seed=0), split)
        preds = model.predict_batch([{"mol": r["mol"]} for r in rows_of])
        mse = sum((p - r["label"]) ** 2 for p, r in zip(preds, rows_of, strict=True)) / len(rows_of)
        assert mse == pytest.approx(record.metrics[f"{split}_mse"], rel=1e-4)
    many = model.predict_many(["TestScore"], mol=rows[0]["mol"])
    assert many["TestScore"] == pytest.approx(model.predict_batch([{"mol": rows[0]["mol"]}])[0], rel=1e-5)
