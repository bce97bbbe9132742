"""Domain tokenizers: turn a specialised string into the text the base LLM's tokenizer sees.

A domain tokenizer validates a value, splits it into units and renders the units. Joining
the units gives back the (normalised) input exactly. Plugins add their own (SMILES, ...).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from tagregistry.errors import InputError


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
