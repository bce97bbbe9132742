"""Parse prompt templates into text pieces and tag pieces.

``{Domain:slot}`` is a domain tag followed by the rendered value of ``slot``; ``{Name}``
is a tag alone (the function tag, which ends a function's template). Whitespace just
before a tag moves after it, so ``"is {SMILES:smiles}."`` becomes ``"is"``, the tag,
``" CCO"``, ``"."`` -- the value is tokenised as it would be in running text.
"""

from __future__ import annotations

from dataclasses import dataclass

from tagregistry.errors import InputError
from tagregistry.specs import SLOT_PATTERN


@dataclass(frozen=True)
class TextPiece:
    """Literal prompt text."""

    text: str


@dataclass(frozen=True)
class TagPiece:
    """A tag (``name``); with ``slot`` set, the slot's value follows it."""

    name: str
    slot: str | None = None


Piece = TextPiece | TagPiece


def parse_template(template: str) -> list[Piece]:
    """Split ``template`` into pieces; trailing whitespace after the last tag is dropped."""
    if not isinstance(template, str) or not template.strip():
        raise InputError(f"a template must be a non-empty string, got {template!r}")
    pieces: list[Piece] = []
    position = 0
    for match in SLOT_PATTERN.finditer(template):
        if match.start() > position:
            pieces.append(TextPiece(template[position : match.start()]))
        pieces.append(TagPiece(match.group(1), match.group(2)))
        position = match.end()
    rest = template[position:]
    if rest.strip():
        pieces.append(TextPiece(rest))
    leftover = [p.text for p in pieces if isinstance(p, TextPiece) and ("{" in p.text or "}" in p.text)]
    if leftover:
        raise InputError(
            f"template {template!r} has braces that are not tags ({leftover[0]!r}); "
            "write tags as {Name} or {Domain:slot}"
        )
    return pieces


def slot_names(template: str) -> list[str]:
    """The slots a template names, in order."""
    return [p.slot for p in parse_template(template) if isinstance(p, TagPiece) and p.slot]
