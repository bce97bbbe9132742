"""Add tags from another pack to a shipped pack, keeping its tags' versions and files as they are.

Shipping a better domain tag beside the function tags trained on the old one: the new tag's
entry and files are copied in, and every function entry that lacks them gets the content
hashes of the domain tags it was trained with (``source["frozen_sha256"]``, from its
``frozen`` references resolved among the pack's entries and those of ``--context`` packs), so
``compose`` keeps composing each function with its own domain version. Both packs are
verified before (checksums) and the result after.

Run: ``python -m benchmarks.extend_pack plugins/tagregistry-chem/tagregistry_chem/packs/smollm2-135m
--add benchmarks/results/candidate-packs/chem-stage1-contexts SMILES@2 --shipped-by tagregistry-chem``
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from tagregistry.hub.card import write_card
from tagregistry.hub.manifest import MANIFEST_FILE, PackManifest, PackTag
from tagregistry.hub.verify import verify_pack
from tagregistry.names import parse_ref
from tagregistry.provenance import FROZEN_SHA256


def pinned(entry: PackTag, known: dict[str, str]) -> PackTag:
    """``entry`` with ``frozen_sha256`` from its ``frozen`` refs (``known``: ref -> sha256)."""
    frozen = entry.source.get("frozen") or []
    if FROZEN_SHA256 in entry.source or not frozen:
        return entry
    missing = [ref for ref in frozen if ref not in known]
    if missing:
        raise SystemExit(f"{entry.ref} was trained with {', '.join(missing)}, which neither this "
                         "pack nor a --context pack holds; pass the pack that does")
    pins = {parse_ref(ref).name: known[ref] for ref in frozen}
    return entry.model_copy(update={"source": {**entry.source, FROZEN_SHA256: pins}})


def extend(pack: Path, additions: list[tuple[Path, str]], context: list[Path],
           shipped_by: str | None) -> PackManifest:
    manifest, _ = verify_pack(pack)
    known = {t.ref: t.sha256 for t in manifest.tags}
    for other in context:
        known.update({t.ref: t.sha256 for t in verify_pack(other)[0].tags})
    tags = [pinned(t, known) for t in manifest.tags]
    for source_pack, ref in additions:
        donor, _ = verify_pack(source_pack)
        entry = next((t for t in donor.tags if t.ref == ref), None)
        if entry is None:
            raise SystemExit(f"{source_pack} holds no {ref}; it has {', '.join(t.ref for t in donor.tags)}")
        if any(t.ref == ref for t in tags):
            raise SystemExit(f"{pack} already holds {ref}")
        for name in [entry.file] + ([entry.head.file] if entry.head else []):
            shutil.copyfile(source_pack / name, pack / name)
        tags.append(pinned(entry, {**known, **{t.ref: t.sha256 for t in donor.tags}}))
    result = manifest.model_copy(update={"tags": tags})
    write_card(pack, result, shipped_by=shipped_by)
    (pack / MANIFEST_FILE).write_text(result.to_json(), encoding="utf-8")
    verify_pack(pack)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pack", type=Path, help="the shipped pack folder to extend")
    parser.add_argument("--add", nargs=2, action="append", default=[], metavar=("PACK", "REF"),
                        help="copy tag REF (its version in PACK) from pack folder PACK")
    parser.add_argument("--context", type=Path, action="append", default=[],
                        help="a pack whose tags this pack's functions were trained with")
    parser.add_argument("--shipped-by", help="the plugin distribution that ships the pack")
    args = parser.parse_args(argv)
    result = extend(args.pack, [(Path(p), ref) for p, ref in args.add], args.context, args.shipped_by)
    for tag in result.tags:
        pins = tag.source.get(FROZEN_SHA256)
        print(f"{tag.ref:<22} {tag.kind:<9}" + (f" trained with {sorted(pins)}" if pins else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
