"""Split a SMILES string into units (atoms, bonds, branches, ring closures) with one regex.

Pure Python, no RDKit: splitting is lexical. Joining the units returns the input exactly;
a character that starts no unit raises :class:`~tagregistry.errors.InputError` naming its
position.
"""

from __future__ import annotations

import re

from tagregistry.errors import InputError

#: Atom units: bracket atoms, the organic subset (two-letter halogens first), aromatic atoms
#: and the wildcard.
ATOM_PATTERN = r"\[[^\[\]]+\]|Br|Cl|[BCNOPSFI]|[bcnops]|\*"
#: Everything else: dative bonds, plain bonds, branches, dot, ring closures.
OTHER_PATTERN = r"->|<-|[-=#$:/\\~]|[().]|%\(\d+\)|%\d{2}|\d"

SMILES_UNIT = re.compile(f"(?P<atom>{ATOM_PATTERN})|(?P<other>{OTHER_PATTERN})")
_ATOM = re.compile(ATOM_PATTERN)


def split_smiles(text: str) -> list[str]:
    """Split ``text`` into SMILES units; ``"".join(split_smiles(text)) == text``."""
    units: list[str] = []
    pos = 0
    while pos < len(text):
        match = SMILES_UNIT.match(text, pos)
        if match is None:
            raise InputError(
                f"cannot split SMILES {quote(text)}: unexpected character {text[pos]!r} at position "
                f"{pos + 1}\n{pointer(text, pos)}\n"
                "remove it or write the atom in brackets, e.g. [Na]"
            )
        units.append(match.group())
        pos = match.end()
    return units


def is_atom(unit: str) -> bool:
    """Whether ``unit`` (one element of :func:`split_smiles`) is an atom."""
    return _ATOM.fullmatch(unit) is not None


def atom_offsets(text: str) -> list[int]:
    """0-based character offsets of the atoms of ``text``, in input order (RDKit's atom order)."""
    offsets: list[int] = []
    pos = 0
    for match in SMILES_UNIT.finditer(text):
        if match.start() != pos:
            break  # unsplittable from here on; the atoms before it are still right
        if match.lastgroup == "atom":
            offsets.append(match.start())
        pos = match.end()
    return offsets


def unclosed_rings(text: str) -> list[int]:
    """0-based offsets of ring-closure labels that open a ring and never close it."""
    open_at: dict[int, int] = {}
    pos = 0
    for match in SMILES_UNIT.finditer(text):
        if match.start() != pos:
            break
        unit = match.group()
        if unit[0].isdigit() or unit[0] == "%":
            label = int(unit.strip("%()"))
            if label in open_at:
                del open_at[label]
            else:
                open_at[label] = match.start()
        pos = match.end()
    return sorted(open_at.values())


#: messages show at most this many characters of a SMILES (long inputs are cut around the error)
SHOWN = 60


def quote(text: str) -> str:
    """``repr(text)``, cut to :data:`SHOWN` characters with the full length for long inputs."""
    if len(text) <= SHOWN:
        return repr(text)
    return f"{text[:SHOWN]!r}... ({len(text):,} characters)"


def pointer(text: str, offset: int) -> str:
    """Two indented lines: ``text`` and a caret under the 0-based ``offset``; a long ``text``
    is shown as a window of :data:`SHOWN` characters around ``offset``."""
    if len(text) <= SHOWN:
        return f"  {text}\n  {' ' * offset}^"
    start = min(max(offset - SHOWN // 2, 0), len(text) - SHOWN)
    before = "..." if start > 0 else ""
    after = "..." if start + SHOWN < len(text) else ""
    window = before + text[start:start + SHOWN] + after
    return f"  {window}\n  {' ' * (len(before) + offset - start)}^"
