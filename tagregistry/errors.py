"""Errors a user can act on. Each message says what was wrong and what to do."""

from __future__ import annotations


class TagRegistryError(Exception):
    """Base class: a user-facing error (the CLI prints it on one line and exits 1)."""


class InvalidNameError(TagRegistryError, ValueError):
    """A tag name or reference that does not follow the naming rules."""


class NotFoundError(TagRegistryError, LookupError):
    """A tag, version or base model that the registry does not hold."""


class AmbiguousReferenceError(TagRegistryError):
    """A reference that matches tags on more than one base model."""


class IntegrityError(TagRegistryError):
    """Stored or imported bytes that fail their checksum, shape or dtype checks."""


class StoreError(TagRegistryError):
    """The registry database cannot be opened, read or written (damaged, missing, locked...)."""


class SchemaVersionError(TagRegistryError):
    """A database whose schema is newer than this library."""


class BaseModelMismatchError(TagRegistryError):
    """Tags bound to one base model used with another."""


class PluginError(TagRegistryError):
    """A plugin that failed to load, raised in a hook, or clashed with another plugin."""


class InputError(TagRegistryError, ValueError):
    """Input data that a tokenizer, template or model rejects."""


class DataUnavailableError(TagRegistryError):
    """A data file that is missing and cannot be fetched (offline, moved, or changed upstream)."""


class PackWarning(UserWarning):
    """A tag pack was written but something about it deserves a look (``tagregistry
    save-pack`` prints these as ``warning:`` lines)."""
