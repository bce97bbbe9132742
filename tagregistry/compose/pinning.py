"""Which version of a domain tag to compose when the user names none.

A function tag is trained against one version of each frozen domain tag; its record keeps
their content hashes (``source["frozen_sha256"]``, ``{domain: sha256}``, written by training
and by pack export). Version numbers differ between registries (installing a pack renumbers
its tags), content hashes do not. So ``compose("SMILES", "QED")`` takes the ``<SMILES>`` that
``<QED>`` was trained with, even when a newer ``<SMILES>`` is registered; a version the user
names (``"SMILES@3"``) is always honoured.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

from tagregistry.names import parse_ref
from tagregistry.provenance import trained_with
from tagregistry.specs import TagRecord


def pin_domains(refs: Sequence[str], records: Sequence[TagRecord],
                versions: Callable[[str], Sequence[TagRecord]]) -> list[TagRecord]:
    """``records`` (resolved from ``refs``, same order) with each unversioned domain tag
    replaced by the version the composed function tags were trained with.

    ``versions(name)`` lists the candidate records of a domain (bound to the same base). When
    the functions were trained with different versions, or the one they need is not
    registered, the resolved (newest) version stays and a warning says so.
    """
    functions = [r for r in records if r.kind == "function"]
    out = list(records)
    for index, (ref, record) in enumerate(zip(refs, records, strict=True)):
        if record.kind != "domain" or parse_ref(ref).version is not None:
            continue
        wanted = {f.ref: sha for f in functions if (sha := trained_with(f.source, record.name))}
        shas = set(wanted.values())
        if not shas or shas == {record.sha256}:
            continue
        if len(shas) > 1:
            warnings.warn(
                f"the composed function tags were trained with different versions of "
                f"{record.name} ({', '.join(sorted(wanted))}); composing {record.ref}, the newest: "
                f"compose them separately for the behaviour each was trained for",
                UserWarning, stacklevel=4)
            continue
        sha = shas.pop()
        match = [v for v in versions(record.name) if v.sha256 == sha]
        if not match:
            warnings.warn(
                f"{', '.join(sorted(wanted))} was trained with a {record.name} tag that is not in "
                f"this registry (sha256 {sha[:12]}...); composing {record.ref} instead, so "
                "predictions may differ from the tag's measured metrics: install the pack it "
                "came with", UserWarning, stacklevel=4)
            continue
        out[index] = max(match, key=lambda v: v.version)
    return out
