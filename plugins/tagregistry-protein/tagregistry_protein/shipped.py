"""The recipes that train the shipped tags, in the order they must run."""

from __future__ import annotations

from pathlib import Path

RECIPES_DIR = Path(__file__).resolve().parent / "recipes"
#: tag -> recipe file; ``<SMILES>`` comes from the chem plugin's pack
RECIPES: dict[str, str] = {
    "Protein": "protein-stage1.yaml",
    "Descriptor": "descriptor-stage2.yaml",
    "Antimicrobial": "antimicrobial-stage2.yaml",
    "BindingAffinity": "bindingaffinity-stage3.yaml",
}
#: training length cap of the shipped function tags (``data.options.max_residues``)
TRAINING_MAX_RESIDUES = 1500


def recipe_path(tag: str) -> Path:
    """The packaged recipe file that trains the shipped ``tag``."""
    if tag not in RECIPES:
        from tagregistry.errors import InputError

        raise InputError(f"no shipped recipe for {tag!r}; choose one of {', '.join(RECIPES)}")
    return RECIPES_DIR / RECIPES[tag]
