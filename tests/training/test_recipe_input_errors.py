"""Recipes that used to crash with a traceback are one clear error (issue 24)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagregistry.errors import InputError, TagRegistryError
from tagregistry.plugins.manager import get_catalog
from tagregistry.training.data import load_splits
from tagregistry.training.recipe import DataSource, SplitConfig, load_recipe


@pytest.mark.parametrize(("content", "message"), [
    (bytes(range(128, 256)), "not UTF-8 text"),
    (b"a: " + b"[" * 5000 + b"]" * 5000, "nested too deeply"),
    (b"a: " + b"[" * 100 + b"]" * 100, "nested deeper than 64 levels"),
])
def test_unreadable_recipe_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "recipe.yaml"
    path.write_bytes(content)
    with pytest.raises(TagRegistryError, match=message):
        load_recipe(path)


def test_an_unknown_data_option_names_the_loader_options() -> None:
    source = DataSource(dataset="qed-nci-moses", options={"moses_trian": 10})
    with pytest.raises(InputError, match=r"unknown data.options key\(s\) 'moses_trian': the dataset's "
                                         r"loader takes moses_eval, moses_train"):
        load_splits(source, SplitConfig(), 0, get_catalog())
