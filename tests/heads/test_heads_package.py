"""``tagregistry.heads``: head settings kept under ``hyper:``, the one ridge fit, the one
Pearson's r, the one pad-id fallback."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from tagregistry.heads import RegressionHead
from tagregistry.heads.config import HeadConfig
from tagregistry.heads.metrics import pearson
from tagregistry.heads.ridge import RIDGE_GRID, fit_ridge, refit_ridge_head
from tagregistry.models.tokens import pad_token_id
from tagregistry.specs import HeadSpec
from tagregistry.training.recipe import RecipeError, load_recipe

HEAD_KEYS = {"readout": "mean", "readout_layers": [7, 15, -1], "readout_values": True,
             "head_hidden": 96, "head_refit": "mlp", "refit_members": 3, "refit_epochs": 50,
             "refit_examples": 2048, "refit_balance": "source", "standardize_features": True}


def _recipe(**hyper: object):
    return load_recipe({"stage": 2, "tag": "QED", "data": {"dataset": "qed-nci"}, "seed": 3,
                        "hyper": {"lr": 3e-4, **hyper}})


def test_head_keys_stay_under_hyper_and_keep_the_recipe_fingerprint() -> None:
    recipe = _recipe(**HEAD_KEYS)
    assert isinstance(recipe.hyper, HeadConfig)
    dumped = recipe.model_dump(mode="json", exclude_defaults=True)["hyper"]
    assert dumped == {"lr": 3e-4, **HEAD_KEYS}  # flat, as recipe files and stored recipes have them
    # computed on main before the head settings moved into HeadConfig: runs and checkpoints
    # named by it stay valid
    assert recipe.fingerprint() == "8a31ae99ce7606f6342839c9e85207254810037f6a052df988f904effcfecaf5"
    assert set(HeadConfig.model_fields) == set(HEAD_KEYS)


def test_head_config_checks_its_fields_alone_and_inside_a_recipe() -> None:
    with pytest.raises(ValueError, match="head_refit: mlp fits a head with a hidden layer"):
        HeadConfig(head_refit="mlp")
    with pytest.raises(RecipeError, match="must split evenly into refit_members"):
        _recipe(head_hidden=10, head_refit="mlp", refit_members=3)
    with pytest.raises(RecipeError, match="readout layers repeat a layer"):
        _recipe(readout_layers=[3, 3])
    assert HeadConfig(readout_layers=[4]).standardize and not HeadConfig().standardize
    assert not HeadConfig(readout_layers=[4], standardize_features=False).standardize


def test_ridge_fit_recovers_a_linear_map_and_writes_it_into_the_head() -> None:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(200, 5, generator=generator, dtype=torch.float64)
    truth = torch.tensor([1.0, -2.0, 0.5, 0.0, 3.0], dtype=torch.float64)
    y = x @ truth + 0.7 + 0.01 * torch.randn(200, generator=generator, dtype=torch.float64)
    fit = fit_ridge((x[:150], y[:150]), (x[150:], y[150:]))
    assert torch.allclose(fit.weight[:, 0], truth, atol=0.01) and abs(float(fit.bias[0]) - 0.7) < 0.01
    assert fit.alpha / float(x[:150].var(0, unbiased=False).mean()) == pytest.approx(RIDGE_GRID[0], rel=0.05)
    head = RegressionHead(5, HeadSpec(type="regression")).double()
    found = refit_ridge_head(head, (x[:150], y[:150]), (x[150:], y[150:]))
    assert found == {"ridge_alpha": fit.alpha, "ridge_validation_mse": fit.validation_mse}
    with torch.no_grad():
        assert torch.allclose(head(x[150:]), fit.predict(x[150:]))


def test_ridge_on_noise_shrinks_towards_the_training_mean() -> None:
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(100, 20, generator=generator, dtype=torch.float64)
    y = torch.randn(100, generator=generator, dtype=torch.float64) + 5.0
    fit = fit_ridge((x[:80], y[:80]), (x[80:], y[80:]))
    assert float(fit.weight.abs().max()) < 0.05
    assert float(fit.predict(x[80:]).std()) < 0.1 * float(y.std())


def test_pearson_is_defined_where_either_side_varies() -> None:
    assert pearson([1, 2, 3], [2, 4, 7]) == pytest.approx(0.9933992677987828)
    assert pearson([1, 1, 1], [1, 2, 3]) == 0.0
    assert pearson([1, 1, 1], [1, 2, 3], undefined=float("nan")) != pearson([1, 1, 1], [1, 2, 3], undefined=float("nan"))


@pytest.mark.parametrize(("ids", "expected"), [
    ({"pad_token_id": 7, "eos_token_id": 2, "unk_token_id": 0}, 7),
    ({"pad_token_id": None, "eos_token_id": 2, "unk_token_id": 0}, 2),
    ({"pad_token_id": None, "eos_token_id": None, "unk_token_id": 5}, 5),
    ({}, 0),
])
def test_pad_id_falls_back_from_pad_to_eos_to_unk(ids: dict, expected: int) -> None:
    assert pad_token_id(SimpleNamespace(**ids)) == expected
