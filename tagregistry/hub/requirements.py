"""Which plugin distributions a pack's tags need: the ones contributing their specs.

A domain tag needs the plugin that declares the domain (and its tokenizer); a function tag
the plugin that declares the function (unless its recipe defined it: the pack carries that
spec) and the one that provides its head type. The core (``tagregistry``) and
in-process plugins are not listed. A tag whose plugin is not installed keeps the requirement
recorded when it was loaded from a pack (``source["pack"]["requires"]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tagregistry.hub.manifest import PackRequirement
from tagregistry.plugins.function_specs import recorded_function_spec
from tagregistry.specs import TagRecord

if TYPE_CHECKING:
    from tagregistry.plugins.manager import Catalog

CORE_DISTRIBUTION = "tagregistry"


def _contributors(record: TagRecord, catalog: Catalog) -> list[tuple[str, str]]:
    """``(catalog table, name)`` of every spec the tag relies on."""
    wanted: list[tuple[str, str]] = []
    if record.kind == "domain":
        wanted.append(("domains", record.name))
        spec = catalog.domains.get(record.name)
        if spec is not None and spec.tokenizer:
            wanted.append(("tokenizers", spec.tokenizer))
    else:
        if recorded_function_spec(record.source, record.ref) is None:  # else the pack carries it
            wanted.append(("functions", record.name))
        if record.head is not None:
            wanted.append(("heads", record.head.spec.type))
    return [item for item in wanted if item in catalog.owners]


def tag_requirements(record: TagRecord, catalog: Catalog) -> list[dict[str, Any]]:
    """``[{"distribution", "version"}]`` that ``record`` needs, installed or as recorded."""
    found: dict[str, dict[str, Any]] = {}
    for table, name in _contributors(record, catalog):
        info = catalog.owner(table, name)
        if info.distribution == CORE_DISTRIBUTION or info.distribution.startswith("<"):
            continue
        found.setdefault(info.distribution, {"distribution": info.distribution,
                                             "version": info.version or None})
    if not found:
        recorded = record.source.get("pack", {}).get("requires", [])
        for item in recorded if isinstance(recorded, list) else []:
            if isinstance(item, dict) and isinstance(item.get("distribution"), str):
                found.setdefault(item["distribution"], {"distribution": item["distribution"],
                                                        "version": item.get("version")})
    return list(found.values())


def pack_requirements(records: list[TagRecord], catalog: Catalog) -> list[PackRequirement]:
    """One :class:`PackRequirement` per distribution, naming the tags it provides."""
    merged: dict[str, PackRequirement] = {}
    for record in records:
        for item in tag_requirements(record, catalog):
            entry = merged.setdefault(item["distribution"], PackRequirement(
                distribution=item["distribution"], version=item["version"], provides=[]))
            if record.name not in entry.provides:
                entry.provides.append(record.name)
    return sorted(merged.values(), key=lambda r: r.distribution)


def install_hint(requirements: list[dict[str, Any]] | list[PackRequirement]) -> str:
    """``pip install 'dist>=version' ...`` for requirements (dicts or entries)."""
    parts = []
    for item in requirements:
        data = item.model_dump() if isinstance(item, PackRequirement) else item
        version = data.get("version")
        parts.append(f"'{data['distribution']}>={version}'" if version else data["distribution"])
    return "pip install " + " ".join(parts)
