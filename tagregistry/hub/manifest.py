"""The ``tagpack.json`` manifest: what a pack holds, and the rules its file names follow.

The format version is ``MAJOR.MINOR``. Readers accept any minor version of the major they
know (newer minors only add optional fields, which are ignored) and refuse other majors.
1.1 added ``requires`` (the plugin distributions the tags need); 1.0 packs load unchanged.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tagregistry.errors import InvalidNameError
from tagregistry.hub.errors import PackCheckError, PackFormatError
from tagregistry.names import validate_name
from tagregistry.safe_json import parse_json
from tagregistry.specs import BaseModelRecord, HeadSpec, TagKind

FORMAT_NAME = "tagregistry.pack"
FORMAT_MAJOR = 1
FORMAT_MINOR = 1
FORMAT_VERSION = f"{FORMAT_MAJOR}.{FORMAT_MINOR}"
MANIFEST_FILE = "tagpack.json"
CARD_FILE = "README.md"
MAX_MANIFEST_BYTES = 8 * 1024 * 1024
MAX_TAGS = 10_000
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib")
SHA256 = r"^[0-9a-f]{64}$"
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,200}\.safetensors$")
_VERSION = re.compile(r"^(\d+)\.(\d+)$")


class _Entry(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PackHead(_Entry):
    """A function tag's head: its spec, file, checksum and tensor layout."""

    spec: HeadSpec
    file: str
    sha256: str = Field(pattern=SHA256)
    size: int = Field(ge=0)
    shapes: dict[str, list[int]]
    dtypes: dict[str, str]
    config: dict[str, Any] = Field(default_factory=dict)


class PackTag(_Entry):
    """One tag version in the pack, with the metadata it was registered with."""

    name: str
    version: int = Field(ge=1)
    kind: TagKind
    file: str
    sha256: str = Field(pattern=SHA256)
    size: int = Field(ge=0)
    shape: list[int]
    dtype: str
    description: str = ""
    license: str | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    data_hash: str | None = None
    source: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime | None = None
    library_version: str | None = None
    head: PackHead | None = None

    @property
    def ref(self) -> str:
        """``Name@version`` as it was in the publishing registry."""
        return f"{self.name}@{self.version}"


class PackRequirement(_Entry):
    """A plugin distribution that contributes specs (domains, functions...) the tags need."""

    distribution: str
    version: str | None = Field(None, description="the version that published the pack")
    provides: list[str] = Field(default_factory=list, description="tag names it serves")


class PackManifest(_Entry):
    """The whole manifest (``tagpack.json``)."""

    format: Literal["tagregistry.pack"] = FORMAT_NAME
    format_version: str = FORMAT_VERSION
    name: str
    library: dict[str, str]
    base_model: BaseModelRecord
    tags: list[PackTag] = Field(min_length=1, max_length=MAX_TAGS)
    requires: list[PackRequirement] = Field(default_factory=list)

    def to_json(self) -> str:
        """Stable, human-readable JSON (sorted keys, so unchanged packs give identical bytes)."""
        return json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"


PACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}$")


def check_pack_name(name: str) -> str:
    """Refuse pack names that are not short ``letters, digits, _ . -`` names."""
    if not PACK_NAME.match(name):
        raise InvalidNameError(
            f"invalid pack name {name!r}: use up to 96 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit (e.g. chem-smollm2-135m)"
        )
    return name


def tag_file_name(name: str, version: int) -> str:
    """The file holding tag ``name@version``."""
    return f"{name}.v{version}.safetensors"


def head_file_name(name: str, version: int) -> str:
    """The file holding the head of tag ``name@version``."""
    return f"{name}.v{version}.head.safetensors"


PACK_FILE_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*\.v\d+(\.head)?\.safetensors$")


def check_file_name(name: str, entry: str) -> str:
    """Refuse file names that could leave the pack folder or are not safetensors files."""
    if not isinstance(name, str) or "/" in name or "\\" in name or ".." in name or name.startswith(
        (".", "~")
    ):
        raise PackCheckError("file name", repr(name), f"{entry} names a path outside the pack folder")
    if not _FILE_NAME.match(name):
        raise PackCheckError(
            "file name", repr(name),
            f"{entry}: file names must be plain '<letters, digits, _ . ->.safetensors' names",
        )
    return name


def read_manifest(folder: str | Path) -> PackManifest:
    """:func:`parse_manifest` of the manifest file in the pack folder ``folder``."""
    return parse_manifest((Path(folder) / MANIFEST_FILE).read_bytes(), str(folder))


def parse_manifest(data: bytes, where: str) -> PackManifest:
    """Parse and validate manifest bytes; the format version is checked before anything else."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise PackFormatError(
            f"{where}: {MANIFEST_FILE} is {len(data)} bytes, over the {MAX_MANIFEST_BYTES}-byte limit"
        )
    try:
        raw = parse_json(data)
    except ValueError as exc:
        raise PackFormatError(f"{where}: {MANIFEST_FILE} is not valid JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise PackFormatError(f"{where}: {MANIFEST_FILE} must hold a JSON object")
    if raw.get("format") != FORMAT_NAME:
        raise PackFormatError(
            f"{where}: {MANIFEST_FILE} has format {raw.get('format')!r}, expected {FORMAT_NAME!r}; "
            "this folder is not a tagregistry tag pack"
        )
    check_format_version(raw.get("format_version"), where)
    try:
        manifest = PackManifest.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise PackFormatError(f"{where}: invalid {MANIFEST_FILE}: {problems}") from exc
    _check_names(manifest)
    return manifest


def check_format_version(version: Any, where: str) -> tuple[int, int]:
    """``(major, minor)`` of a supported format version, else a PackFormatError."""
    match = _VERSION.match(version) if isinstance(version, str) else None
    if match is None:
        raise PackFormatError(
            f"{where}: {MANIFEST_FILE} has format_version {version!r}; expected 'MAJOR.MINOR'"
        )
    major, minor = int(match.group(1)), int(match.group(2))
    if major != FORMAT_MAJOR:
        raise PackFormatError(
            f"{where}: tag pack format version {version} is not supported by this tagregistry "
            f"(reads {FORMAT_MAJOR}.x); "
            + ("upgrade tagregistry to read it" if major > FORMAT_MAJOR else "re-publish the pack")
        )
    return major, minor


def _check_names(manifest: PackManifest) -> None:
    seen_files: set[str] = set()
    seen_refs: set[str] = set()
    for index, tag in enumerate(manifest.tags):
        entry = f"tags[{index}]"
        try:
            validate_name(tag.name)
        except InvalidNameError as exc:
            raise PackCheckError("tag name", entry, str(exc)) from exc
        if tag.ref in seen_refs:
            raise PackCheckError("duplicate tag", entry, f"{tag.ref} appears twice in the manifest")
        seen_refs.add(tag.ref)
        files = [tag.file] + ([tag.head.file] if tag.head else [])
        for file in files:
            check_file_name(file, f"{entry} ({tag.ref})")
            if file in seen_files:
                raise PackCheckError("file name", file, "listed twice in the manifest")
            seen_files.add(file)
        if tag.head is not None and tag.kind != "function":
            raise PackCheckError("kind", tag.file, f"{tag.ref} is a {tag.kind} tag but has a head")
