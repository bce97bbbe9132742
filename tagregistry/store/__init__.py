"""Persistence: SQLAlchemy schema, migrations and the versioned tag store."""

from tagregistry.store.tag_store import HeadPayload, TagStore

__all__ = ["HeadPayload", "TagStore"]
