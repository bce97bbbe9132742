"""Write a registry's tags to a pack folder, and register a verified pack's tags."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagregistry import tensors
from tagregistry._version import __version__
from tagregistry.arguments import check_base, check_ref
from tagregistry.errors import BaseModelMismatchError, PackWarning, TagRegistryError
from tagregistry.hub.card import write_card
from tagregistry.hub.errors import PackError
from tagregistry.hub.manifest import (
    FORMAT_VERSION,
    MANIFEST_FILE,
    PackHead,
    PackManifest,
    PackRequirement,
    PackTag,
    check_pack_name,
    head_file_name,
    tag_file_name,
)
from tagregistry.hub.requirements import pack_requirements
from tagregistry.hub.verify import FLOAT_DTYPES, VerifiedTag, verify_pack
from tagregistry.provenance import FROZEN_SHA256, with_origin
from tagregistry.specs import BaseModelRecord, TagRecord
from tagregistry.store.tag_store import BaseArg, HeadPayload, NewTag, RegisteredTags, TagStore
from tagregistry.terminal import size_text

if TYPE_CHECKING:
    from tagregistry.plugins.manager import Catalog


def _resolve(store: TagStore, ref: str, base: BaseArg) -> TagRecord:
    """``store.resolve`` after the checks of ``Registry.get`` (a wrong type is an InputError)."""
    check_ref(ref)
    check_base(base)
    return store.resolve(ref, base)


def resolve_records(store: TagStore, refs: list[str], base: BaseArg = None) -> list[TagRecord]:
    """The records behind ``refs`` (duplicates dropped); all must share one base model."""
    if isinstance(refs, str) or not refs:
        raise PackError("name at least one tag to pack, as a list of references such as "
                        "['<Domain>', '<Function>@2']")
    records: dict[str, TagRecord] = {}
    for ref in refs:
        record = _resolve(store, ref, base)
        records.setdefault(record.ref, record)
    chosen = list(records.values())
    first = chosen[0].base
    for record in chosen[1:]:
        if record.base != first:
            raise PackError(
                f"a pack holds tags of one base model: {chosen[0].ref} is bound to {first} but "
                f"{record.ref} to {record.base}; pack them separately (or pass base=...)"
            )
    return chosen


def build_manifest(
    store: TagStore, catalog: Catalog, records: list[TagRecord], name: str
) -> tuple[PackManifest, dict[str, bytes]]:
    """The manifest and ``{file name: bytes}`` of a pack holding ``records``."""
    files: dict[str, bytes] = {}
    entries: list[PackTag] = []
    for record in records:
        tag_bytes, head_bytes = store.raw_payloads(record)
        tag_file = tag_file_name(record.name, record.version)
        files[tag_file] = tag_bytes
        head = None
        if record.head is not None and head_bytes is not None:
            head_file = head_file_name(record.name, record.version)
            files[head_file] = head_bytes
            info = tensors.tensor_info(head_bytes, head_file)
            head = PackHead(
                spec=record.head.spec, file=head_file, sha256=tensors.sha256_hex(head_bytes),
                size=len(head_bytes), shapes={k: v[1] for k, v in info.items()},
                dtypes={k: FLOAT_DTYPES.get(v[0], v[0]) for k, v in info.items()},
                config=record.head.config,
            )
        entries.append(PackTag(
            name=record.name, version=record.version, kind=record.kind, file=tag_file,
            sha256=tensors.sha256_hex(tag_bytes), size=len(tag_bytes),
            shape=[record.n_vectors, record.dim], dtype=record.dtype,
            description=record.description, license=record.license, metrics=record.metrics,
            data_hash=record.data_hash, source=portable_source(with_frozen_hashes(store, record)),
            created_at=record.created_at,
            library_version=record.library_version, head=head,
        ))
    manifest = PackManifest(
        format_version=FORMAT_VERSION, name=name,
        library={"name": "tagregistry", "version": __version__},
        base_model=records[0].base, tags=entries,
        requires=pack_requirements(records, catalog),
    )
    return manifest, files


def with_frozen_hashes(store: TagStore, record: TagRecord) -> dict[str, Any]:
    """``record.source`` with the content hashes of its frozen tags (``frozen_sha256``): the
    ``frozen`` references name versions of this registry, which installing renumbers, so a
    pack carries hashes (compose uses them to pick the domain versions a function was trained
    with). Records trained before hashes were recorded get them from the references here."""
    source = record.source
    frozen = source.get("frozen")
    if FROZEN_SHA256 in source or not isinstance(frozen, list) or not frozen:
        return source
    try:
        pins = {(tag := _resolve(store, ref, record.base)).name: tag.sha256 for ref in frozen}
    except TagRegistryError:
        return source  # a frozen tag since deleted: nothing to pin
    return {**source, FROZEN_SHA256: pins}


def portable_source(source: dict[str, Any]) -> dict[str, Any]:
    """``source`` as a pack carries it: absolute paths of this disk (data files of older
    recipes, pack folders it was loaded from) become bare file names."""

    def strip(value: Any) -> Any:
        if isinstance(value, str) and Path(value).is_absolute():
            return Path(value).name
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()}
        return value

    result = dict(source)
    recipe = result.get("recipe")
    if isinstance(recipe, dict) and isinstance(recipe.get("data"), dict):
        data = recipe["data"]
        result["recipe"] = {**recipe, "data": {**data, **{k: strip(data[k]) for k in ("file", "files")
                                                          if k in data}}}
    for key in ("pack", "imported_from"):
        if isinstance(result.get(key), dict):
            result[key] = strip(result[key])
    if isinstance(result.get("upstream"), list):
        result["upstream"] = [strip(item) for item in result["upstream"]]
    return result


#: files above this size make :func:`save_pack` warn (tag files are kilobytes; heads with a
#: wide hidden layer reach megabytes)
LARGE_FILE_BYTES = 10_000_000


class LargePackFileWarning(PackWarning):
    """A pack file is large for a pack shipped inside a distribution or kept in git."""


class UnresolvablePackWarning(PackWarning):
    """A pack's user could not compose one of its tags (no spec, no distribution to install)."""


def unresolvable(manifest: PackManifest, catalog: Any) -> list[str]:
    """Why a user of the pack could not compose its function tags: each tag whose function
    spec neither an installed plugin, nor the tag's recipe, nor a listed requirement gives."""
    from tagregistry.errors import PluginError
    from tagregistry.plugins.function_specs import function_spec_for

    required = {name for r in manifest.requires for name in r.provides}
    problems = []
    for tag in manifest.tags:
        if tag.kind != "function":
            continue
        try:
            found = function_spec_for(tag.name, tag.ref, tag.source, catalog)
        except PluginError as exc:
            problems.append(str(exc))
            continue
        if found is None and tag.name not in required:
            problems.append(
                f"{tag.ref}: no installed plugin declares function {tag.name!r} and its recipe did not "
                "define it, so the pack's users cannot compose it; train it from a recipe that "
                "defines the function inline, or ship the plugin that declares it")
    return problems


def large_file_message(file_name: str, size: int) -> str:
    """Why ``file_name`` (``size`` bytes) is worth a second look, and how to shrink it."""
    advice = (" A head's size is hidden units x readout width x 4 bytes: a smaller hyper.head_hidden "
              "(or fewer readout_layers) shrinks it." if ".head." in file_name else "")
    return (f"{file_name} is {size_text(size)}: fine for a Hub pack, but large for a pack "
            f"shipped inside a Python distribution or kept in git.{advice}")


def save_pack(
    store: TagStore,
    catalog: Catalog,
    refs: list[str],
    directory: str | Path,
    base: BaseArg = None,
    *,
    name: str | None = None,
    repo_id: str | None = None,
    shipped_by: str | None = None,
) -> Path:
    """Write ``refs`` as a pack into ``directory`` (new or empty): manifest, files, model card.

    ``name`` defaults to the folder's name. The card's "Use" section says how consumers get
    the pack: ``pull`` from ``repo_id``, ``install-pack`` when a plugin distribution
    (``shipped_by``) ships it, else loading the folder. Files over :data:`LARGE_FILE_BYTES`
    raise a :class:`LargePackFileWarning` (the pack is written all the same).
    """
    folder = Path(directory)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise PackError(f"{folder} exists and is not an empty folder; choose a new folder")
    pack_name = name or folder.resolve().name or "tagpack"
    check_pack_name(pack_name)
    records = resolve_records(store, refs, base)
    manifest, files = build_manifest(store, catalog, records, pack_name)
    folder.mkdir(parents=True, exist_ok=True)
    for file_name, data in files.items():
        (folder / file_name).write_bytes(data)
        if len(data) > LARGE_FILE_BYTES:
            warnings.warn(large_file_message(file_name, len(data)), LargePackFileWarning, stacklevel=2)
    for problem in unresolvable(manifest, catalog):
        warnings.warn(problem, UnresolvablePackWarning, stacklevel=2)
    write_card(folder, manifest, repo_id=repo_id, shipped_by=shipped_by)
    (folder / MANIFEST_FILE).write_text(manifest.to_json(), encoding="utf-8")
    return folder


def load_pack(
    store: TagStore, catalog: Catalog, directory: str | Path, *, source: dict[str, Any] | None = None
) -> RegisteredTags:
    """Verify a pack folder, then register all its tags in one transaction.

    Each new record's ``source["pack"]`` holds ``source`` (default: the folder's path) plus
    the pack name and the tag's version in the publishing registry; the publisher's own
    origins move to ``source["upstream"]``. Tags whose exact bytes the registry already
    holds on the same base are not registered again (checked inside the write transaction):
    their existing records stand in their place and are listed in ``already_registered``.
    """
    manifest, verified = verify_pack(directory)
    base = manifest.base_model
    check_pack_base(store, base)
    for item in verified:
        catalog.check_kind(item.entry.name, item.entry.kind)
    origin = dict(source) if source is not None else {"path": str(Path(directory).resolve())}
    order = sorted(range(len(verified)), key=lambda i: (verified[i].entry.name, verified[i].entry.version))
    items = [_registration(verified[i], base, {**origin, "name": manifest.name},
                           manifest.requires) for i in order]
    return store.register_new(items, bases=[base])


def check_pack_base(store: TagStore, base: BaseModelRecord) -> None:
    """Refuse a pack bound to a base model that this registry knows with other weights."""
    for known in store.list_bases():
        if (known.model_id, known.revision) != (base.model_id, base.revision):
            continue
        if (known.fingerprint, known.hidden_size) != (base.fingerprint, base.hidden_size):
            raise BaseModelMismatchError(
                f"tag pack refused, nothing was registered: it is bound to {base.model_id}@"
                f"{base.revision} with fingerprint {base.fingerprint[:12]} (hidden "
                f"{base.hidden_size}), but this registry knows {known.model_id}@{known.revision} "
                f"with fingerprint {known.fingerprint[:12]} (hidden {known.hidden_size}): the "
                "weights differ, so these tags would not fit your base model"
            )


def _registration(item: VerifiedTag, base: BaseModelRecord, origin: dict[str, Any],
                  requirements: list[PackRequirement]) -> NewTag:
    entry = item.entry
    source = with_origin(entry.source, "pack", {**origin, "version": entry.version})
    requires = [{"distribution": r.distribution, "version": r.version}
                for r in requirements if entry.name in r.provides]
    if requires:
        source["pack"]["requires"] = requires
    head = None
    if entry.head is not None:
        head = HeadPayload(spec=entry.head.spec, tensors=item.head, config=entry.head.config)
    return NewTag(name=entry.name, tensor=item.tensor, kind=entry.kind, base=base,
                  description=entry.description, source=source, data_hash=entry.data_hash,
                  metrics=entry.metrics, license=entry.license, head=head)
