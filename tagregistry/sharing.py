"""The registry's exchanges: tag files, tag pack folders and packs on the Hugging Face Hub.

:class:`TagSharing` holds those methods of :class:`~tagregistry.registry.Registry`; the work
is done by :mod:`tagregistry.exchange` and :mod:`tagregistry.hub`, which receive the store and
the plugin catalog.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagregistry.errors import InputError
from tagregistry.specs import TagRecord
from tagregistry.store.tag_store import BaseArg, HeadPayload, NewTag, RegisteredTags

if TYPE_CHECKING:
    from tagregistry.plugins.manager import Catalog
    from tagregistry.store.tag_store import TagStore


class TagSharing:
    """Export and import tag files; save, load, install, push and pull tag packs."""

    if TYPE_CHECKING:
        store: TagStore

        @property
        def catalog(self) -> Catalog: ...

        def get(self, ref: str, base: BaseArg = None) -> TagRecord: ...

    def export(self, ref: str, path: str | Path, base: BaseArg = None) -> Path:
        """Write one tag (and head) to a ``.safetensors`` file with its record in the header."""
        from tagregistry.exchange import export_tag

        record = self.get(ref, base)
        return export_tag(record, self.store.load_tensor(record), self.store.load_head(record), path)

    def import_file(self, path: str | Path) -> TagRecord:
        """Register the tag in an exported file (provenance kept); see :meth:`import_files`."""
        return self.import_files([path])[0]

    def import_files(self, paths: Sequence[str | Path]) -> RegisteredTags:
        """Register the tags of exported files in one transaction, as new versions.

        Like :meth:`load_pack`, a tag whose exact bytes (tag and head) the registry already
        holds under the same name and base is not registered again: its existing record
        stands in its place and is listed in ``already_registered``.
        """
        from tagregistry.exchange import read_export
        from tagregistry.provenance import with_origin

        items = []
        for path in paths:
            _refuse_pack_folder(path, "import reads exported .safetensors files")
            record, tag, head = read_export(path)
            self.catalog.check_kind(record.name, record.kind)
            head_payload = None
            if record.head is not None:
                head_payload = HeadPayload(spec=record.head.spec, tensors=head, config=record.head.config)
            origin = {"file": str(Path(path).name), "version": record.version}
            items.append(NewTag(
                name=record.name, tensor=tag, kind=record.kind, base=record.base,
                description=record.description,
                source=with_origin(record.source, "imported_from", origin),
                data_hash=record.data_hash, metrics=record.metrics, license=record.license,
                head=head_payload,
            ))
        return self.store.register_new(items)

    def push(
        self,
        refs: list[str],
        repo_id: str,
        *,
        revision: str | None = None,
        private: bool = False,
        commit_message: str | None = None,
        base: BaseArg = None,
    ) -> Any:
        """Publish tags as a tag pack on the Hugging Face Hub."""
        from tagregistry.hub.push import push_pack

        return push_pack(
            self.store, self.catalog, refs, repo_id, revision=revision, private=private,
            commit_message=commit_message, base=base,
        )

    def pull(self, repo: str, *, revision: str | None = None) -> RegisteredTags:
        """Download, verify and register a tag pack (``"org/name"`` or ``"org/name@rev"``)."""
        from tagregistry.hub.pull import pull_pack

        _refuse_pack_folder(repo, "pull downloads a pack from a Hub repo")
        return pull_pack(self.store, self.catalog, repo, revision=revision)

    def save_pack(
        self, refs: list[str], directory: str | Path, base: BaseArg = None, *,
        name: str | None = None, shipped_by: str | None = None,
    ) -> Path:
        """Write a tag pack folder (manifest, safetensors files, model card).

        ``name`` is the pack's name (default: the folder's name). ``shipped_by`` names the
        plugin distribution that will ship the folder (the card then says ``install-pack``).
        """
        from tagregistry.hub.pack import save_pack

        return save_pack(self.store, self.catalog, refs, directory, base=base, name=name,
                         shipped_by=shipped_by)

    def install_pack(self, name: str) -> RegisteredTags:
        """Verify and register a tag pack shipped by an installed plugin (``tagregistry_packs``)."""
        _refuse_pack_folder(name, "install-pack installs a pack a plugin ships, by its name")
        spec = self.catalog.get("packs", name)
        owner = self.catalog.owner("packs", name)
        return self.load_pack(spec.path, source={"plugin": owner.distribution, "pack_name": name})

    def load_pack(self, directory: str | Path, *, source: dict[str, Any] | None = None) -> RegisteredTags:
        """Verify a tag pack folder and register its tags as new versions."""
        from tagregistry.hub.pack import load_pack

        return load_pack(self.store, self.catalog, directory, source=source)


def describe_pack(folder: str | Path) -> dict[str, Any]:
    """What a pack folder holds, from its manifest and files: ``path``, ``name``, ``base``
    (model id), ``tags`` (refs), ``requires`` (distributions and what they provide),
    ``files`` and their total ``bytes``."""
    from tagregistry.hub.manifest import read_manifest

    manifest = read_manifest(folder)
    sizes = {p.name: p.stat().st_size for p in sorted(Path(folder).iterdir())}
    return {
        "path": str(folder), "name": manifest.name, "base": manifest.base_model.model_id,
        "tags": [t.ref for t in manifest.tags],
        "requires": [r.model_dump() for r in manifest.requires],
        "files": sorted(sizes), "bytes": sum(sizes.values()),
    }


def _refuse_pack_folder(value: Any, what: str) -> None:
    """InputError pointing at ``load_pack`` when ``value`` is a tag pack folder on disk."""
    from tagregistry.hub.manifest import MANIFEST_FILE

    if isinstance(value, str | Path) and (Path(value) / MANIFEST_FILE).is_file():
        raise InputError(f"{value} is a tag pack folder and {what}: load the folder with "
                         f"`tagregistry load-pack {value}` (Registry().load_pack({str(value)!r}))")
