"""The shipped recipes, and the shipped tag pack: installed, verified and composed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagregistry.errors import InputError
from tagregistry.plugins.manager import get_catalog
from tagregistry.registry import Registry
from tagregistry.training.recipe import load_recipe
from tagregistry_protein.plugin import PACK_NAME, PACKS_DIR
from tagregistry_protein.shipped import RECIPES, TRAINING_MAX_RESIDUES, recipe_path

SHIPPED = PACKS_DIR / "smollm2-135m"


def test_recipes_load_and_use_this_plugins_data() -> None:
    catalog = get_catalog()
    stages = {}
    for tag in RECIPES:
        recipe = load_recipe(recipe_path(tag))
        assert recipe.tag == tag and recipe.base is None  # the default base
        assert catalog.owner("datasets", recipe.data.dataset).distribution == "tagregistry-protein"
        assert recipe.hyper.n_vectors == 10
        stages[tag] = (recipe.stage, recipe.freeze)
    assert stages == {"Protein": (1, []), "Descriptor": (2, ["Protein"]),
                      "Antimicrobial": (2, ["Protein"]),
                      "BindingAffinity": (3, ["Protein", "SMILES"])}
    binding = load_recipe(recipe_path("BindingAffinity"))
    assert binding.data.options == {"max_residues": TRAINING_MAX_RESIDUES}
    with pytest.raises(InputError, match="no shipped recipe for 'QED'"):
        recipe_path("QED")


def test_pack_is_offered_exactly_when_its_folder_exists() -> None:
    assert (PACK_NAME in get_catalog().packs) == (SHIPPED / "tagpack.json").is_file()


@pytest.mark.skipif(not (SHIPPED / "tagpack.json").is_file(),
                    reason="no shipped pack yet: run benchmarks/gpu/train_protein_pack.py")
def test_shipped_pack_installs_verified_on_top_of_the_chem_pack(tmp_path: Path) -> None:
    registry = Registry(f"sqlite:///{tmp_path}/r.db")
    registry.install_pack("chem-smollm2-135m")
    records = {r.name: r for r in registry.install_pack(PACK_NAME)}
    assert set(records) == set(RECIPES)
    for record in records.values():
        assert record.base.model_id == "HuggingFaceTB/SmolLM2-135M-Instruct"
        assert record.source["pack"]["plugin"] == "tagregistry-protein"
    assert records["BindingAffinity"].source["domains"] == ["Protein", "SMILES"]
    assert records["Antimicrobial"].head.spec.labels == ["non-AMP", "AMP"]
    registry.close()


@pytest.mark.skipif(not (SHIPPED / "tagpack.json").is_file(),
                    reason="no shipped pack yet: run benchmarks/gpu/train_protein_pack.py")
def test_binding_affinity_composes_out_of_the_box(tmp_path: Path) -> None:
    """The headline: compose("Protein", "SMILES", "BindingAffinity") on the default base
    predicts a KIBA test pair with no training (the shortest showcase protein, to stay quick)."""
    import math

    from tagregistry_protein.showcase import binding_affinity_examples

    registry = Registry(f"sqlite:///{tmp_path}/r.db")
    registry.install_pack("chem-smollm2-135m")
    registry.install_pack(PACK_NAME)
    model = registry.compose("Protein", "SMILES", "BindingAffinity")
    # the pack also ships <Protein>@2 and the chem pack <SMILES>@2; the function composes
    # with the versions it was trained with
    trained = [registry.versions(n)[0].ref for n in ("Protein", "SMILES")]
    assert [t for t in model.metadata["tags"] if not t.startswith("Binding")] == trained
    assert len(registry.versions("Protein")) == 2
    pair = min(binding_affinity_examples(10), key=lambda p: len(p["protein"]))
    value = model.predict(protein=pair["protein"], smiles=pair["smiles"])
    assert isinstance(value, float) and math.isfinite(value)
    assert 8.0 < value < 18.0  # KIBA scores of the data set lie in about 9.5..17
    registry.close()
