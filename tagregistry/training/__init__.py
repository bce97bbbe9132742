"""Training: the three-stage Tag-LLM protocol, recipes, checkpoints and Accelerate.

Entry points: :func:`tagregistry.training.runner.train` (also ``Registry.train`` and
``tagregistry train RECIPE.yaml``) and :class:`tagregistry.training.recipe.Recipe`.
Importing this package does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tagregistry.training.recipe import Recipe, load_recipe
    from tagregistry.training.runner import TrainResult, train

_LAZY = {
    "Recipe": "tagregistry.training.recipe",
    "load_recipe": "tagregistry.training.recipe",
    "TrainResult": "tagregistry.training.runner",
    "train": "tagregistry.training.runner",
}
__all__ = ["Recipe", "TrainResult", "load_recipe", "train"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tagregistry.training' has no attribute {name!r}")
