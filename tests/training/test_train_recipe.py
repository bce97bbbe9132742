"""Recipes: validation, YAML loading, fingerprints."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagregistry.errors import TagRegistryError
from tagregistry.training.recipe import Recipe, RecipeError, load_recipe

MINIMAL = {"stage": 2, "tag": "QED", "data": {"dataset": "qed-nci"}}


def test_defaults_follow_the_paper():
    recipe = load_recipe(MINIMAL)
    h = recipe.hyper
    assert (h.n_vectors, h.lr, h.weight_decay, h.schedule, h.warmup_ratio, h.init) == (
        10, 1e-4, 0.0, "cosine", 0.03, "mean")
    assert recipe.seed == 0 and recipe.run_name == "QED"


@pytest.mark.parametrize("bad, words", [
    ({**MINIMAL, "data": {}}, "exactly one"),
    ({**MINIMAL, "data": {"dataset": "x", "file": "y.csv"}}, "exactly one"),
    ({**MINIMAL, "stage": 4}, "stage"),
    ({**MINIMAL, "freeze": ["QED@1"]}, "both trained and frozen"),
    ({**MINIMAL, "stage": 1, "hyper": {"enrich": True}}, "stage-2"),
    ({**MINIMAL, "hyper": {"lr": -1}}, "hyper.lr"),
    ({**MINIMAL, "hyper": {"init": "phrase"}}, "init_phrase"),
    ({**MINIMAL, "tag": "1bad"}, "invalid tag name"),
    ({**MINIMAL, "unknown_key": 1}, "unknown_key"),
    ({**MINIMAL, "split": {"validation": 0.5, "test": 0.45}}, "10%"),
])
def test_invalid_recipes_name_the_problem(bad, words):
    with pytest.raises(TagRegistryError) as info:
        load_recipe(bad)
    assert words in str(info.value)


def test_yaml_file_with_relative_data_path(tmp_path: Path):
    (tmp_path / "data.csv").write_text("smiles,label\nCCO,0.5\n")
    path = tmp_path / "r.yaml"
    path.write_text("stage: 2\ntag: QED\ndata:\n  file: data.csv\nhyper:\n  lr: 0.001\n  n_vectors: 5\n")
    recipe = load_recipe(path)
    assert Path(recipe.data.file) == (tmp_path / "data.csv").resolve()
    assert recipe.hyper.n_vectors == 5 and recipe.hyper.lr == 0.001


def test_unreadable_files_are_clear_errors(tmp_path: Path):
    with pytest.raises(RecipeError, match="does not exist"):
        load_recipe(tmp_path / "missing.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(RecipeError, match="mapping"):
        load_recipe(tmp_path / "list.yaml")
    (tmp_path / "broken.yaml").write_text("stage: [\n")
    with pytest.raises(RecipeError, match="YAML"):
        load_recipe(tmp_path / "broken.yaml")


def test_fingerprint_changes_with_content():
    a = load_recipe(MINIMAL)
    b = load_recipe({**MINIMAL, "seed": 1})
    assert a.fingerprint() == load_recipe(dict(MINIMAL)).fingerprint()
    assert a.fingerprint() != b.fingerprint()
    assert isinstance(load_recipe(a), Recipe)
