"""Domain tokenizers: turn a specialised string into the text the base LLM's tokenizer sees.

A domain tokenizer validates a value, splits it into units and renders the units. Joining
the units gives back the (normalised) input exactly. Plugins add their own (SMILES, ...);
:func:`domain_tokenizer` finds the one a domain's spec names in the plugin catalog.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from tagregistry.errors import InputError, PluginError

if TYPE_CHECKING:
    from tagregistry.plugins.manager import Catalog


@runtime_checkable
class DomainTokenizer(Protocol):
    """What a domain tokenizer provides."""

    name: str

    def units(self, value: str) -> list[str]:
        """Validate ``value`` and split it into units (joining them returns the normalised value)."""
        ...

    def render(self, value: str) -> str:
        """The text written into the prompt for ``value``."""
        ...


class PlainTokenizer:
    """Text passes through unchanged (one unit)."""

    name = "plain"

    def units(self, value: str) -> list[str]:
        if not isinstance(value, str) or not value:
            raise InputError(f"expected a non-empty string, got {value!r}")
        return [value]

    def render(self, value: str) -> str:
        return "".join(self.units(value))


class CharacterTokenizer:
    """One unit per character, rendered separated by ``separator`` (default a space)."""

    name = "characters"

    def __init__(self, separator: str = " ") -> None:
        self.separator = separator

    def units(self, value: str) -> list[str]:
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"expected a non-empty string, got {value!r}")
        return list(value)

    def render(self, value: str) -> str:
        return self.separator.join(self.units(value))


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
