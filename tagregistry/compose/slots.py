"""Which composed domain fills each slot, and which base a set of tags was trained on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tagregistry.compose.tagged_model import RESERVED_KEYWORDS
from tagregistry.engine.contexts import slot_accepts
from tagregistry.errors import BaseModelMismatchError, InputError, PluginError, TagRegistryError
from tagregistry.names import parse_ref
from tagregistry.specs import FunctionSpec, TagRecord

if TYPE_CHECKING:
    from tagregistry.plugins.manager import Catalog
    from tagregistry.store.tag_store import TagStore


def in_compose_order(
    spec: FunctionSpec, domains: Mapping[str, Any], catalog: Catalog, explicit: Mapping[str, str]
) -> dict[str, str]:
    """``{slot: domain}`` for groups of two or more slots that accept exactly the same composed
    domains, as many as the group has slots: in slot order, the domains in compose order.
    Domains given explicitly to other slots are left out (so the rest is for these).
    ``compose("ES", "PT", "Translate")`` fills Translate's source slot with ES and its
    target slot with PT."""
    given = {explicit[s.name] for s in spec.slots if s.name in explicit}
    groups: dict[tuple[str, ...], list[str]] = {}
    for slot in spec.slots:
        if slot.name not in explicit:
            candidates = tuple(d for d in domains if d not in given and slot_accepts(slot, d, catalog))
            groups.setdefault(candidates, []).append(slot.name)
    out: dict[str, str] = {}
    for candidates, slots in groups.items():
        if (len(slots) > 1 or given) and len(candidates) == len(slots):
            out.update(zip(slots, candidates, strict=True))
    return out


def trained_base(store: TagStore, refs: tuple[str, ...]) -> str | None:
    """The base every tag in ``refs`` was trained on (``source["base_name"]`` of its versions),
    ``None`` for the default when that one fits or nothing is recorded.

    Raises BaseModelMismatchError when no base holds all of them, InputError when several do.
    """
    from tagregistry.models.loading import DEFAULT_BASE

    bases: dict[str, set[str]] = {}
    for ref in refs:
        try:
            parsed = parse_ref(ref)
            versions = store.versions(parsed.name)
        except TagRegistryError:
            continue  # compose reports unknown or malformed references itself
        names = {str(v.source["base_name"]) for v in versions if v.source.get("base_name")
                 and (parsed.version is None or v.version == parsed.version)}
        if names:
            bases[parsed.name] = names
    if not bases:
        return None
    common = set.intersection(*bases.values())
    if DEFAULT_BASE in common:
        return None
    if len(common) == 1:
        return common.pop()
    if common:
        raise InputError(f"the tags exist on several bases ({', '.join(sorted(common))}); choose "
                         f"one with base=... (CLI: --base NAME)")
    where = "; ".join(f"{name} on {', '.join(sorted(names))}" for name, names in bases.items())
    raise BaseModelMismatchError(
        f"these tags were trained on different base models ({where}) and cannot be composed "
        "together; compose tags of one base, or train the missing ones on it"
    )


def assign_slots(
    spec: FunctionSpec, domains: Mapping[str, Any], catalog: Catalog, explicit: Mapping[str, str]
) -> dict[str, str]:
    """``{slot: domain}`` for every slot of ``spec`` from the composed ``domains`` (slots that
    accept the same ones take them in compose order: :func:`in_compose_order`)."""
    out: dict[str, str] = in_compose_order(spec, domains, catalog, explicit)
    for slot in spec.slots:
        if slot.name in RESERVED_KEYWORDS:
            raise PluginError(f"function {spec.name!r} names a slot {slot.name!r}, which is reserved")
        if slot.name in out:
            continue
        accepted = ", ".join(slot.domains + [f"any {f} domain" for f in slot.families])
        if slot.name in explicit:
            chosen = explicit[slot.name]
            if chosen not in domains:
                raise InputError(f"slot_domains gives {chosen!r} for slot {slot.name!r}, but it is "
                                 f"not composed; add it to compose(...)")
            if not slot_accepts(slot, chosen, catalog):
                raise InputError(f"{spec.name}'s slot {slot.name!r} accepts {accepted}, not {chosen!r}")
            out[slot.name] = chosen
            continue
        candidates = [d for d in domains if slot_accepts(slot, d, catalog)]
        preferred = [d for d in slot.domains if d in candidates]
        if preferred:
            out[slot.name] = preferred[0]
        elif len(candidates) == 1:
            out[slot.name] = candidates[0]
        elif not candidates:
            raise InputError(
                f"{spec.name}'s slot {slot.name!r} needs a domain tag ({accepted}); "
                f"add one, e.g. compose({slot.domains[0]!r}, {spec.name!r})"
            )
        else:
            raise InputError(
                f"{spec.name}'s slot {slot.name!r} could take {', '.join(candidates)}; choose with "
                f"slot_domains={{{slot.name!r}: {candidates[0]!r}}}"
            )
    return out


def trained_domains(record: TagRecord, spec: FunctionSpec) -> list[str]:
    """Domains the function tag was trained with (record provenance, else the spec's list)."""
    recorded = record.source.get("domains")
    if isinstance(recorded, list) and recorded:
        return [parse_ref(str(d)).name for d in recorded]
    return sorted({d for slot in spec.slots for d in slot.domains})
