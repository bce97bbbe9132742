"""Errors of the tag-pack layer (all are ``TagRegistryError`` subclasses)."""

from __future__ import annotations

from tagregistry.errors import IntegrityError, TagRegistryError


class HubError(TagRegistryError):
    """The Hub could not be reached, refused a request, or has no such repo or revision."""


class PackFormatError(IntegrityError):
    """A pack whose manifest is missing, unreadable or of an unsupported format version."""


class PackCheckError(IntegrityError):
    """A pack file that fails a verification check (checksum, size, shape, dtype, name...)."""

    def __init__(self, check: str, file: str, detail: str) -> None:
        self.check = check
        self.file = file
        super().__init__(
            f"tag pack refused, nothing was registered: {check} check failed for {file}: {detail}"
        )


class PackError(TagRegistryError):
    """A pack that cannot be written: no tags, tags on several base models, a non-empty folder."""
