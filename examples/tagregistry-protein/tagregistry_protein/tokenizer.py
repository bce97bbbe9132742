"""The ``protein-chars`` domain tokenizer: one unit per residue."""

from __future__ import annotations

from tagregistry.errors import InputError

STANDARD = frozenset("ACDEFGHIKLMNPQRSTVWY")
#: B (D/N), Z (E/Q), X (any), U (selenocysteine), O (pyrrolysine)
EXTENDED = STANDARD | frozenset("BZXUO")


class ProteinTokenizer:
    """Upper-cases a one-letter sequence, validates it and splits it into residues.

    Args:
        separator: what :meth:`render` puts between residues (the paper feeds proteins
            one character per token, separated by spaces).
        extended: also accept B, Z, X, U and O.
    """

    name = "protein-chars"

    def __init__(self, separator: str = " ", extended: bool = False) -> None:
        self.separator = separator
        self.alphabet = EXTENDED if extended else STANDARD

    def normalize(self, value: str) -> str:
        """The sequence upper-cased, surrounding whitespace removed; errors name bad residues."""
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"expected a non-empty protein sequence, got {value!r}")
        sequence = value.strip().upper()
        bad = sorted(set(sequence) - self.alphabet)
        if bad:
            raise InputError(
                f"{value!r} contains {', '.join(map(repr, bad))}: not one-letter amino-acid "
                f"codes ({''.join(sorted(self.alphabet))})"
            )
        return sequence

    def units(self, value: str) -> list[str]:
        """One unit per residue; joined they give :meth:`normalize`."""
        return list(self.normalize(value))

    def render(self, value: str) -> str:
        """The text the base model's tokenizer sees, e.g. ``"M K T A"``."""
        return self.separator.join(self.units(value))
