"""Find the domain tokenizer that renders a domain's values (from the plugin catalog)."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from tagregistry.domain_tokenizers import DomainTokenizer, PlainTokenizer
from tagregistry.errors import PluginError

if TYPE_CHECKING:
    from tagregistry.plugins.manager import Catalog


def domain_tokenizer(catalog: Catalog | None, domain: str) -> DomainTokenizer:
    """The tokenizer declared by ``domain``'s spec; ``plain`` (with a warning) if it has none.

    A domain without a spec in ``catalog`` (a tag registered by hand) renders as plain text.
    """
    from tagregistry.plugins.manager import load_object

    spec = catalog.domains.get(domain) if catalog is not None else None
    if spec is None:
        if catalog is not None:
            warnings.warn(
                f"no installed plugin declares domain {domain!r}; its values are passed through "
                "as plain text", UserWarning, stacklevel=3,
            )
        return PlainTokenizer()
    if spec.tokenizer is None:
        return PlainTokenizer()
    tokenizer_spec = catalog.get("tokenizers", spec.tokenizer)
    factory = load_object(tokenizer_spec.factory)
    try:
        return factory()
    except Exception as exc:  # noqa: BLE001 - plugin code: report which plugin failed
        raise PluginError(
            f"domain tokenizer {spec.tokenizer!r} ({tokenizer_spec.factory}) failed to start: {exc}"
        ) from exc
