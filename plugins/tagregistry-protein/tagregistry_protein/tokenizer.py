"""The ``protein-residues`` domain tokenizer: one unit per residue, rendered space-separated.

Tag-LLM feeds proteins to the base model one residue per token, with the residues separated
by spaces (``"M K T A"``): that is what :meth:`ProteinTokenizer.render` writes.
"""

from __future__ import annotations

from tagregistry.errors import InputError
from tagregistry_protein import MAX_RESIDUES

#: the 20 standard amino acids, one-letter codes
STANDARD = frozenset("ACDEFGHIKLMNPQRSTVWY")
#: B (D/N), Z (E/Q), X (any), U (selenocysteine), O (pyrrolysine)
EXTENDED = STANDARD | frozenset("BZXUO")


def _pointer(text: str, index: int, width: int = 30) -> str:
    """The text around ``index`` with a caret under it (long sequences are windowed)."""
    start = max(0, index - width)
    window = text[start : index + width]
    return f"  {window}\n  {' ' * (index - start)}^"


class ProteinTokenizer:
    """Upper-cases a one-letter sequence, validates it and splits it into residues.

    Args:
        separator: what :meth:`render` puts between residues (default a space, as in the paper).
        extended: also accept B, Z, X, U and O.
        max_residues: refuse longer sequences (default :data:`MAX_RESIDUES`).
    """

    name = "protein-residues"

    def __init__(self, separator: str = " ", extended: bool = False,
                 max_residues: int = MAX_RESIDUES) -> None:
        if not isinstance(separator, str):
            raise InputError(f"separator must be a string such as ' ', got {separator!r}")
        self.separator = separator
        self.alphabet = EXTENDED if extended else STANDARD
        self.max_residues = max_residues

    def normalize(self, value: str) -> str:
        """The sequence upper-cased, surrounding whitespace removed.

        Raises:
            InputError: empty, too long, or a character that is not a residue code (the
                message names the first one and its 1-based position).
        """
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"expected a non-empty protein sequence, got {value!r}")
        sequence = value.strip().upper()
        if len(sequence) > self.max_residues:
            raise InputError(
                f"the protein has {len(sequence)} residues; the limit is {self.max_residues}: "
                "split it into domains or truncate it"
            )
        for index, residue in enumerate(sequence):
            if residue not in self.alphabet:
                raise InputError(
                    f"invalid residue {residue!r} at position {index + 1}:\n"
                    f"{_pointer(sequence, index)}\n"
                    f"use one-letter amino-acid codes ({''.join(sorted(self.alphabet))})"
                )
        return sequence

    def units(self, value: str) -> list[str]:
        """One unit per residue; joined they give :meth:`normalize`."""
        return list(self.normalize(value))

    def render(self, value: str) -> str:
        """The text the base model's tokenizer sees, e.g. ``"M K T A"``."""
        return self.separator.join(self.units(value))

    def __repr__(self) -> str:
        return f"ProteinTokenizer(separator={self.separator!r}, extended={self.alphabet == EXTENDED})"
