"""``Registry``: the public API over the store, the plugin catalog and the model layers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagregistry.errors import InputError, InvalidNameError
from tagregistry.sharing import TagSharing
from tagregistry.specs import BaseModelRecord, TagKind, TagRecord
from tagregistry.store.engine import default_url, read_only_default, sqlite_path
from tagregistry.store.tag_store import BaseArg, HeadPayload, NewTag, TagStore

if TYPE_CHECKING:
    from tagregistry.plugins.manager import Catalog
    from tagregistry.store.health import CheckReport


class Registry(TagSharing):
    """A registry of learned tags bound to base models.

    Args:
        url: any SQLAlchemy URL; default ``$TAGREGISTRY_DB_URL`` or the SQLite file
            ``$TAGREGISTRY_HOME/registry.db``.
        read_only: open without writing anything (a SQLite file in a read-only folder,
            say); default ``$TAGREGISTRY_READ_ONLY``. Writes then raise ``StoreError``.
    """

    def __init__(self, url: str | None = None, *, read_only: bool | None = None) -> None:
        self.url = url or default_url()
        self.read_only = read_only_default() if read_only is None else read_only
        self.store = TagStore(self.url, read_only=self.read_only)

    def __repr__(self) -> str:
        return f"Registry({self.url!r})"

    def close(self) -> None:
        """Release database connections."""
        self.store.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def catalog(self) -> Catalog:
        """Specs contributed by installed plugins (domains, functions, tokenizers, ...)."""
        from tagregistry.plugins.manager import get_catalog

        return get_catalog()

    # -- base models ----------------------------------------------------------------------
    def register_base(self, record: BaseModelRecord) -> BaseModelRecord:
        """Record a base model so that tags can be bound to it (idempotent)."""
        return self.store.register_base(record)

    def bases(self, *, unused: bool = False) -> list[BaseModelRecord]:
        """Registered base models; with ``unused``, only those no tag version is bound to."""
        if unused:
            return [base for base, n in self.store.base_usage() if n == 0]
        return self.store.list_bases()

    def base_usage(self) -> list[tuple[BaseModelRecord, int]]:
        """Every registered base model with the number of tag versions bound to it."""
        return self.store.base_usage()

    def delete_base(self, base: str | BaseModelRecord) -> BaseModelRecord:
        """Delete a base model (``"id"`` or ``"id@revision"``) that no tag is bound to.

        Its version counters go with it: registering tags on it again starts at version 1.
        """
        return self.store.delete_base(base)

    # -- tags -----------------------------------------------------------------------------
    def register(
        self,
        name: str,
        tensor: Any,
        *,
        base: BaseModelRecord | str,
        kind: TagKind | None = None,
        head: HeadPayload | None = None,
        description: str = "",
        source: dict[str, Any] | None = None,
        data_hash: str | None = None,
        metrics: dict[str, float] | None = None,
        license: str | None = None,
    ) -> TagRecord:
        """Store ``tensor`` (``(n_vectors, hidden)``) as a new version of ``name``.

        ``kind`` defaults to what the installed plugins declare for ``name``.
        """
        from tagregistry.arguments import check_new_tag

        tag = check_new_tag(NewTag(
            name=name, tensor=tensor, kind=kind, base=base, description=description,
            source=source, data_hash=data_hash, metrics=metrics, license=license, head=head))
        declared = self.declared_kind(name)
        if kind is None and declared is None:
            raise InvalidNameError(
                f"no installed plugin declares {name!r}: pass kind='domain' or kind='function'"
            )
        tag.kind = kind or declared
        self.check_kind(name, tag.kind)
        return self.store.register(tag)

    def declared_kind(self, name: str) -> TagKind | None:
        """What the installed plugins declare ``name`` to be (``None``: nothing declares it)."""
        return self.catalog.declared_kind(name)

    def check_kind(self, name: str, kind: TagKind) -> None:
        """Refuse a kind that contradicts what an installed plugin declares for ``name``."""
        self.catalog.check_kind(name, kind)

    def get(self, ref: str, base: BaseArg = None) -> TagRecord:
        """The record for ``"Name"`` (newest) or ``"Name@v"``; errors list close matches."""
        _check_lookup(ref, base)
        return self.store.resolve(ref, base)

    def versions(self, name: str, base: BaseArg = None) -> list[TagRecord]:
        """All versions of a tag, oldest first."""
        _check_lookup(name, base)
        return self.store.versions(name, base)

    def list(
        self, kind: TagKind | None = None, base: BaseArg = None, all_versions: bool = False
    ) -> list[TagRecord]:
        """Registered tags (newest version of each unless ``all_versions``)."""
        if kind not in (None, "domain", "function"):
            raise InvalidNameError(f"kind must be 'domain', 'function' or None, got {kind!r}")
        from tagregistry.arguments import check_base

        check_base(base)
        return self.store.list_tags(kind=kind, base=base, all_versions=all_versions)

    def load(self, ref: str | TagRecord, base: BaseArg = None) -> Any:
        """The tag's tensor, checksum-verified."""
        record = ref if isinstance(ref, TagRecord) else self.get(ref, base)
        return self.store.load_tensor(record)

    def load_head(self, ref: str | TagRecord, base: BaseArg = None) -> dict[str, Any]:
        """The tag's head tensors, checksum-verified (empty if it has no head)."""
        record = ref if isinstance(ref, TagRecord) else self.get(ref, base)
        return self.store.load_head(record)

    def delete(self, ref: str, base: BaseArg = None) -> TagRecord:
        """Delete one pinned version, e.g. ``"QED@2"``."""
        _check_lookup(ref, base)
        return self.store.delete(ref, base)

    # -- database -------------------------------------------------------------------------
    @property
    def db_path(self) -> Path | None:
        """The SQLite file, or ``None`` for server databases."""
        return sqlite_path(self.url)

    def check(self) -> CheckReport:
        """Verify the database: SQLite's integrity check, then every record's metadata
        checksum, every tag and head tensor's sha256 and layout. Never raises on damage:
        the report lists it (``report.ok`` is False)."""
        return self.store.check()

    def backup(self, path: str | Path) -> Path:
        """A consistent copy of a SQLite registry (online backup API)."""
        from tagregistry.maintenance import backup_sqlite

        return backup_sqlite(self.db_path, path)

    # -- composition, training and evaluation (implemented in their own packages) ------
    def compose(self, *refs: str, base: str | None = None, **options: Any) -> Any:
        """Assemble domain and function tags onto a base LLM: a ``TaggedModel``.

        ``refs`` are tag references (``"SMILES"``, ``"QED@2"``); ``base`` is a named base
        model, a Hugging Face id or a local path (default: the embedded ``smollm2-135m``).
        """
        from tagregistry.compose.builder import compose

        catalog = options.pop("catalog", None) or self.catalog
        return compose(self.store, catalog, *refs, base=base, **options)

    def train(self, recipe: Any, **options: Any) -> Any:
        """Run a training recipe (a ``Recipe``, a dict or a YAML path); registers the result."""
        from tagregistry.training.runner import train

        catalog = options.pop("catalog", None)
        return train(self.store, catalog if catalog is not None else self.catalog, recipe,
                     **options)

    def evaluate_domain(self, ref: str, *, base: BaseArg = None, split: str = "test",
                        limit: int | None = None, batch_size: int = 16, dtype: Any = None,
                        catalog: Catalog | None = None) -> Any:
        """A domain tag's held-out perplexity in its stage-1 layout and every installed
        function's context: trained, untrained and without the tag
        (:func:`tagregistry.evaluation.domain.evaluate_domain`)."""
        from tagregistry.evaluation.domain import evaluate_domain

        catalog = catalog or self.catalog
        model = self.compose(ref, base=base, dtype=dtype, catalog=catalog)
        if not model.domain_records:
            raise InputError(f"{ref} is not a domain tag; evaluate a function tag beside its "
                             "baselines instead")
        (record,) = model.domain_records.values()
        return evaluate_domain(model.base, model.encoder, record, model.table.tensor(record.name),
                               catalog, split=split, limit=limit, batch_size=batch_size)

    def evaluate(
        self,
        refs: Sequence[str],
        *,
        data: str | None = None,
        split: str = "test",
        baselines: Sequence[str] = ("mean", "nn", "ridge", "mlp"),
        input: str | Path | None = None,
        label: str | None = None,
        base: str | None = None,
        function: str | None = None,
        limit: int | Mapping[str, int] | None = None,
        batch_size: int = 16,
        dtype: Any = None,
        catalog: Catalog | None = None,
    ) -> Any:
        """Score a function tag beside the baselines on the same records: an ``EvaluationReport``.

        ``refs`` are composed as by :meth:`compose` (the function and its domain tags). The
        records are the ``split`` of the tag's recipe data (the same files, split and seed),
        of the plugin dataset ``data``, or the file ``input`` (targets in column ``label``).
        The baselines (training mean, nearest neighbour, ridge and MLP probes on the frozen
        base's features) are fitted on the training split of that data.
        """
        from tagregistry.evaluation import evaluate

        if isinstance(refs, str):
            refs = [refs]
        catalog = catalog or self.catalog
        model = self.compose(*refs, base=base, dtype=dtype, catalog=catalog)
        return evaluate(model, catalog, function=function, data=data, split=split,
                        baselines=baselines, input=input, label=label, limit=limit,
                        batch_size=batch_size)


def load_recipe(recipe: str | Path | Mapping[str, Any]) -> Any:
    """Read and check a training recipe (a YAML file, a mapping or a ``Recipe``) without
    opening a registry, so a broken recipe is reported before any database is touched."""
    from tagregistry.training.recipe import load_recipe as read

    return read(recipe)


def _check_lookup(ref: str, base: BaseArg) -> None:
    """InvalidNameError/InputError for a reference or base argument of the wrong type."""
    from tagregistry.arguments import check_base, check_ref

    check_ref(ref)
    check_base(base)

