"""Where a domain tag is used: the text around its span in function templates.

A domain tag trained on the bare span (``<SMILES> CCO``, the paper's stage 1) is used after
a function template's text (``... The SMILES of the molecule is<SMILES> CCO``). The
*context* of a slot is that text: the template from just after the previous tag up to and
including the slot's placeholder, with the placeholder naming the domain that fills it.
Stage 1 can train in these contexts (``hyper.contexts``) and ``evaluate`` measures a domain
tag in each of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagregistry.engine.template import TagPiece, TextPiece, parse_template
from tagregistry.errors import InputError

if TYPE_CHECKING:
    from tagregistry.plugins.manager import Catalog
    from tagregistry.specs import SlotSpec

FUNCTIONS = "functions"  #: in ``hyper.contexts``: every installed function's context
STAGE1 = "stage 1"  #: the name of the bare-span layout


def placeholder(domain: str, slot: str) -> str:
    """``{Domain:slot}``."""
    return "{" + domain + ":" + slot + "}"


def slot_context(template: str, slot: str, domain: str) -> str:
    """The text of ``template`` between the tag before ``slot`` and ``slot``'s placeholder,
    then the placeholder, naming ``domain`` (the bare placeholder when no text precedes it)."""
    text = ""
    for piece in parse_template(template):
        if isinstance(piece, TextPiece):
            text += piece.text
        elif piece.slot == slot:
            return text.lstrip() + placeholder(domain, slot)
        else:
            text = ""
    raise InputError(f"template {template!r} has no slot {slot!r}")


def slot_accepts(slot: SlotSpec, domain: str, catalog: Catalog) -> bool:
    """Whether ``domain`` may fill ``slot`` (listed, or of a listed family)."""
    if domain in slot.domains:
        return True
    spec = catalog.domains.get(domain)
    return spec is not None and spec.family is not None and spec.family in slot.families


def function_contexts(catalog: Catalog, domain: str) -> dict[str, str]:
    """``{function: context}`` for every installed function with a slot ``domain`` may fill
    (the first such slot), zero-shot slots included."""
    out: dict[str, str] = {}
    for name, spec in sorted(catalog.functions.items()):
        for slot in spec.slots:
            if slot_accepts(slot, domain, catalog):
                out[name] = slot_context(spec.template, slot.name, domain)
                break
    return out


def context_slot(context: str, domain: str) -> str:
    """The slot of the one ``{domain:slot}`` placeholder in a stage-1 ``context``.

    Raises InputError when the context has another tag or not exactly one such slot.
    """
    pieces = [p for p in parse_template(context) if isinstance(p, TagPiece)]
    if len(pieces) != 1 or pieces[0].name != domain or not pieces[0].slot:
        raise InputError(
            f"a stage-1 context holds exactly one {{{domain}:slot}} placeholder and no other tag, "
            f"got {context!r}"
        )
    return pieces[0].slot


def with_slot(context: str, domain: str, slot: str) -> str:
    """``context`` with its ``{domain:...}`` placeholder's slot renamed to ``slot``."""
    own = context_slot(context, domain)
    return context.replace(placeholder(domain, own), placeholder(domain, slot))


def stage1_contexts(requested: list[str], catalog: Catalog | None, domain: str,
                    slot: str) -> list[str]:
    """The contexts stage 1 trains ``domain`` in: ``requested`` with ``"functions"`` expanded
    and every placeholder renamed to ``slot`` (the data's text field); default the bare span."""
    out: list[str] = []
    for context in requested or [placeholder(domain, slot)]:
        if context == FUNCTIONS:
            found = function_contexts(catalog, domain) if catalog is not None else {}
            if not found:
                raise InputError(f"hyper.contexts: 'functions', but no installed function takes "
                                 f"the domain {domain!r}; list the contexts instead")
            chosen = list(found.values())
        else:
            chosen = [context]
        for text in chosen:
            renamed = with_slot(text, domain, slot)
            if renamed not in out:
                out.append(renamed)
    return out
