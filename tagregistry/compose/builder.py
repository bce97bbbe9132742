"""``compose``: resolve tags bound to a base, fill function slots with domains, build heads.

A function's slot accepts the domains it lists and any domain of the families it lists.
A domain that the function tag was not trained with (its record's ``source["domains"]``;
without that, the slot's listed domains) is allowed and marked zero-shot in the metadata.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tagregistry.compose.binding import FunctionBinding
from tagregistry.compose.pinning import pin_domains
from tagregistry.compose.slots import assign_slots, trained_base, trained_domains
from tagregistry.compose.tagged_model import TaggedModel
from tagregistry.engine.prompt import PromptEncoder
from tagregistry.engine.readout import Readout
from tagregistry.engine.splice import TagTable
from tagregistry.errors import (
    BaseModelMismatchError,
    InputError,
    IntegrityError,
    NotFoundError,
    PluginError,
    TagRegistryError,
)
from tagregistry.heads.outputs import build_head
from tagregistry.models.loading import LoadedBase, load_base
from tagregistry.models.precision import is_automatic, settle_dtype
from tagregistry.names import parse_ref
from tagregistry.specs import BaseModelRecord, TagRecord

if TYPE_CHECKING:
    from tagregistry.plugins.manager import Catalog
    from tagregistry.store.tag_store import TagStore


def compose(
    store: TagStore,
    catalog: Catalog,
    *refs: str,
    base: str | LoadedBase | None = None,
    slot_domains: Mapping[str, str] | None = None,
    dtype: Any = None,
    device: Any = None,
    revision: str | None = None,
    **options: Any,
) -> TaggedModel:
    """Assemble tags onto a base model.

    Args:
        store: where the tags are stored.
        catalog: what the installed plugins contribute (domains, functions, heads, bases).
        refs: tag references (``"SMILES"``, ``"QED@2"``), domains and functions in any order.
        base: a named base, Hugging Face id, local path or :class:`LoadedBase`; default: the
            tags' own (:func:`~tagregistry.compose.slots.trained_base`), else ``smollm2-135m``.
        slot_domains: ``{slot: domain}`` when several composed domains could fill a slot.
        dtype: the base's; default bf16 where the hardware multiplies it natively, float32 when
            a tag was trained on a float32 base (``metadata["dtype"]`` says which and why).
        device, revision: passed to :func:`load_base`.
        options: passed to :func:`load_base`: ``use_safetensors=False`` to accept pickle
            weights of a Hub id or folder you trust, ``trust_remote_code``, or a named
            base's loader options. Unknown keywords are an InputError.
    """
    if not refs:
        raise InputError("compose needs at least one tag: the domain and function tags to "
                         "combine, e.g. compose('<Domain>', '<Function>'); `tagregistry list` "
                         "shows the registered ones")
    slot_domains = _check_slot_domains(slot_domains)
    names = [parse_ref(ref).name for ref in refs]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(f"tag(s) {', '.join(repeated)} given more than once; pass each tag once")
    if base is None:
        base = trained_base(store, refs)
    automatic = is_automatic(dtype) and not isinstance(base, LoadedBase)  # float32 until tags say
    loaded = load_base(base, dtype="float32" if automatic else dtype, device=device,
                       revision=revision, catalog=catalog, **options)
    store.register_base(loaded.record)
    records = []
    for ref in refs:
        try:
            records.append(resolve_bound(store, ref, loaded.record))
        except NotFoundError as exc:
            hint = shipped_pack_hint(catalog, parse_ref(ref).name, loaded.name)
            if not hint:
                raise
            raise NotFoundError(f"{exc}; {hint}") from None
    fingerprint = loaded.record.fingerprint
    records = pin_domains(refs, records, lambda name: [
        v for v in store.versions(name) if v.base.fingerprint == fingerprint])
    domains = {r.name: r for r in records if r.kind == "domain"}
    for record in domains.values():
        if record.name not in catalog.domains and record.source.get("pack", {}).get("requires"):
            raise PluginError(f"domain tag {record.ref} needs its domain spec (how values are "
                              f"rendered), which no installed plugin declares; {_install_advice(record)}")
    bindings = {r.name: _bind_function(store, catalog, r, domains, loaded, slot_domains)
                for r in records if r.kind == "function"}
    _check_slots_exist(slot_domains, bindings)
    used = {d for b in bindings.values() for d in b.slot_domains.values()}
    unused = [d for d in domains if d not in used]
    if bindings and unused:
        warnings.warn(
            f"domain tag(s) {', '.join(unused)} fill no slot of {', '.join(bindings)} and are "
            "unused; remove them or add a function that takes them", UserWarning, stacklevel=3,
        )
    precision = settle_dtype(loaded, records, automatic)
    table = TagTable({r.name: store.load_tensor(r).float() for r in records})
    encoder = PromptEncoder(loaded.tokenizer, catalog, max_length=loaded.max_length)
    return TaggedModel(loaded, table, domains, bindings, encoder,
                       {**_metadata(loaded.record, records, bindings), "dtype": precision})


def _check_slot_domains(slot_domains: Any) -> dict[str, str]:
    """``slot_domains`` as a ``{slot: domain}`` dict of strings (InputError otherwise)."""
    if slot_domains is None:
        return {}
    if not isinstance(slot_domains, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in slot_domains.items()
    ):
        raise InputError(
            f"slot_domains must map slot names to domain tags, e.g. {{'smiles': 'SMILES'}}, "
            f"got {slot_domains!r:.80}"
        )
    return dict(slot_domains)


def _check_slots_exist(slot_domains: Mapping[str, str], bindings: Mapping[str, FunctionBinding]) -> None:
    """Every key of ``slot_domains`` must be a slot of a composed function."""
    slots = sorted({slot.name for b in bindings.values() for slot in b.spec.slots})
    unknown = sorted(set(slot_domains) - set(slots))
    if unknown:
        functions = ", ".join(bindings) or "no function"
        raise InputError(
            f"slot_domains names slot(s) {', '.join(map(repr, unknown))}, but the composed "
            f"functions ({functions}) have {', '.join(map(repr, slots)) or 'no slots'}; "
            "fix the slot name or compose the function that has it"
        )


def shipped_pack_hint(catalog: Catalog, name: str, base_name: str | None) -> str:
    """How to install ``name`` when an installed plugin ships it for ``base_name`` ('' if none)."""
    from tagregistry.hub.manifest import read_manifest

    for pack in sorted(catalog.packs.values(), key=lambda p: p.name):
        if base_name is None or pack.base != base_name:
            continue
        try:
            manifest = read_manifest(pack.path)
        except (OSError, TagRegistryError):
            continue  # a broken pack says so when it is installed
        if any(tag.name == name for tag in manifest.tags):
            owner = catalog.owner("packs", pack.name).distribution
            return (f"the installed plugin {owner} ships it for this base in the tag pack "
                    f"{pack.name!r}: Registry().install_pack({pack.name!r}) "
                    f"(CLI: tagregistry install-pack {pack.name})")
    return ""


def resolve_bound(store: TagStore, ref: str, base: BaseModelRecord) -> TagRecord:
    """The record ``ref`` names on ``base`` (or on a base with the same fingerprint).

    Raises BaseModelMismatchError naming both models when the tag exists only elsewhere.
    """
    try:
        return store.resolve(ref, base)
    except NotFoundError as exc:
        missing = exc
    parsed = parse_ref(ref)
    try:
        versions = store.versions(parsed.name)
    except NotFoundError:
        raise missing from None
    if parsed.version is not None:
        versions = [v for v in versions if v.version == parsed.version]
    same = [v for v in versions if v.base.fingerprint == base.fingerprint]
    if same:
        return max(same, key=lambda v: v.version)
    if not versions:
        raise missing
    bound = sorted({str(v.base) for v in versions})
    hint = versions[-1].base.model_id
    raise BaseModelMismatchError(
        f"tag {ref!r} is bound to base model {' and '.join(bound)}, but you composed onto "
        f"{base}; compose with base={hint!r} or train {parsed.name} for this base"
    )


def _bind_function(
    store: TagStore, catalog: Catalog, record: TagRecord, domains: Mapping[str, TagRecord],
    loaded: LoadedBase, explicit: Mapping[str, str],
) -> FunctionBinding:
    from tagregistry.plugins.function_specs import function_spec_for

    spec = function_spec_for(record.name, record.ref, record.source, catalog, _install_advice(record))
    if spec is None:
        raise PluginError(
            f"function tag {record.ref} has no function spec (template, slots, head): no installed "
            f"plugin declares it and its recipe did not define it; {_install_advice(record)}"
        )
    mapping = assign_slots(spec, domains, catalog, explicit)
    trained = set(trained_domains(record, spec))
    binding = FunctionBinding(
        name=record.name, record=record, spec=spec, slot_domains=mapping,
        zero_shot_slots=[slot for slot, domain in mapping.items() if domain not in trained],
    )
    if record.head is not None:
        binding.head_spec = record.head.spec
        binding.head_config = dict(record.head.config)
        binding.readout = Readout.from_config(binding.head_config).check(
            int(getattr(loaded.model.config, "num_hidden_layers", 0) or 0) or 10**6)
        binding.head = build_head(catalog, record.head.spec,
                                  binding.readout.width(loaded.hidden_size), store.load_head(record))
    elif spec.head is not None:
        raise IntegrityError(
            f"function tag {record.ref} was stored without the {spec.head.type} head its spec "
            "needs; register it again with head=HeadPayload(...)"
        )
    return binding


def _install_advice(record: TagRecord) -> str:
    """Which distribution to install, from the pack the tag came from (else the convention)."""
    from tagregistry.hub.requirements import install_hint

    recorded = record.source.get("pack", {}).get("requires")
    if isinstance(recorded, list) and recorded and all(isinstance(r, dict) for r in recorded):
        names = ", ".join(str(r.get("distribution")) for r in recorded)
        return (f"its pack names the distribution that declares it: {names}; "
                f"install it ({install_hint(recorded)})")
    return "install the plugin that declares it (pip install tagregistry-<domain>)"


def _metadata(base: BaseModelRecord, records: list[TagRecord],
              bindings: Mapping[str, FunctionBinding]) -> dict[str, Any]:
    functions = {
        name: {
            "ref": b.record.ref, "slots": dict(b.slot_domains), "output": b.spec.output,
            "zero_shot": b.zero_shot, "zero_shot_slots": list(b.zero_shot_slots),
            "trained_domains": trained_domains(b.record, b.spec),
        }
        for name, b in bindings.items()
    }
    return {
        "base": base.model_dump(),
        "tags": [r.ref for r in records],
        "domains": {r.name: r.ref for r in records if r.kind == "domain"},
        "functions": functions,
        "zero_shot": any(b.zero_shot for b in bindings.values()),
    }
