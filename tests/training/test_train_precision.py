"""Training records the base's dtype; composition keeps the dtype its tags were trained in."""

from __future__ import annotations

import pytest
import torch

from tagregistry.models.precision import automatic_dtype, dtype_name

pytestmark = pytest.mark.filterwarnings("ignore:no installed plugin declares domain")


def _train(registry, catalog, local_base, mol_file, hyper, tmp_path, dtype: str) -> None:
    common = {"base": str(local_base), "dtype": dtype,
              "data": {"file": str(mol_file), "text_field": "mol", "label_field": "label"}}
    registry.train({"stage": 1, "tag": "TestMol", **common, "hyper": hyper(max_steps=2)},
                   catalog=catalog, output_dir=tmp_path / f"s1-{dtype}", progress=False)
    registry.train({"stage": 2, "tag": "TestScore", **common, "hyper": hyper(max_steps=2)},
                   catalog=catalog, output_dir=tmp_path / f"s2-{dtype}", progress=False)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_recipe_dtype_is_recorded_and_composition_follows_it(dtype, registry, catalog, local_base,
                                                             mol_file, hyper, tmp_path,
                                                             monkeypatch) -> None:
    monkeypatch.delenv("TAGREGISTRY_DTYPE", raising=False)
    _train(registry, catalog, local_base, mol_file, hyper, tmp_path, dtype)
    record = registry.get("TestScore")
    assert record.source["recipe"]["dtype"] == dtype
    model = registry.compose("TestMol", "TestScore", base=str(local_base), catalog=catalog)
    expected = torch.float32 if dtype == "float32" else automatic_dtype("cpu")
    assert model.base.dtype == expected
    assert model.metadata["dtype"].startswith(dtype_name(expected))
    if dtype == "float32" and automatic_dtype("cpu") != torch.float32:
        assert "TestScore@1" in model.metadata["dtype"]  # says which tag keeps float32
    explicit = registry.compose("TestMol", "TestScore", base=str(local_base), catalog=catalog,
                                dtype="bfloat16")
    assert explicit.base.dtype == torch.bfloat16
    # the head runs in float32 on either base and the two predictions stay close
    a = model.predict(mol="CCOc1ccccc1")
    b = explicit.predict(mol="CCOc1ccccc1")
    assert isinstance(a, float) and isinstance(b, float)
    assert abs(a - b) <= 0.1 * max(1.0, abs(a))


def test_an_unknown_dtype_in_a_recipe_is_refused(registry, catalog, local_base, mol_file, hyper,
                                                 tmp_path) -> None:
    from tagregistry.training.recipe import RecipeError, load_recipe

    with pytest.raises(RecipeError, match="dtype.*float32, bfloat16 or float16"):
        load_recipe({"stage": 1, "tag": "TestMol", "dtype": "int4",
                     "data": {"file": str(mol_file), "text_field": "mol"}})


def test_automatic_dtype_trains_a_function_with_a_head_in_float32(registry, catalog, local_base,
                                                                   mol_file, hyper, tmp_path,
                                                                   monkeypatch) -> None:
    """bf16 bases cost fitted heads accuracy, so ``auto`` means float32 for them only."""
    from tagregistry.models.precision import DTYPE_ENV, training_dtype

    monkeypatch.delenv(DTYPE_ENV, raising=False)
    assert training_dtype("auto", has_head=True) == "float32"
    assert training_dtype(None, has_head=True) == "float32"
    assert training_dtype("auto", has_head=False) == "auto"
    assert training_dtype("bfloat16", has_head=True) == "bfloat16"  # a named dtype wins
    _train(registry, catalog, local_base, mol_file, hyper, tmp_path, "auto")
    assert registry.get("TestMol").source["recipe"]["dtype"] == dtype_name(automatic_dtype("cpu"))
    assert registry.get("TestScore").source["recipe"]["dtype"] == "float32"
    monkeypatch.setenv(DTYPE_ENV, "bfloat16")  # the environment's choice wins too
    assert training_dtype("auto", has_head=True) == "auto"
