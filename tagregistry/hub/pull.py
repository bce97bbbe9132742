"""Download a pack (through the Hugging Face cache), verify it, and register its tags."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from tagregistry.hub.errors import HubError
from tagregistry.hub.manifest import CARD_FILE, MANIFEST_FILE, read_manifest
from tagregistry.hub.pack import load_pack
from tagregistry.hub.repo import hub_errors, parse_repo
from tagregistry.hub.verify import refuse_pickle_names
from tagregistry.specs import TagRecord

if TYPE_CHECKING:
    from tagregistry.plugins.manager import Catalog
    from tagregistry.store.tag_store import TagStore

_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def pull_pack(store: TagStore, catalog: Catalog, repo: str, *,
              revision: str | None = None) -> list[TagRecord]:
    """Register the tags of the pack in ``repo`` (``"org/name"`` or ``"org/name@rev"``).

    ``rev`` (or ``revision``) is a branch, tag or commit sha; the commit it resolves to is
    recorded in each new record's ``source["pack"]``. With ``HF_HUB_OFFLINE=1`` the pack
    is read from the local Hugging Face cache. Nothing is registered unless every check passes.
    """
    repo_id, rev = parse_repo(repo, revision)
    folder, commit = download_pack(repo_id, rev)
    source = {"repo": repo_id, "revision": commit, "requested": rev or "main"}
    return load_pack(store, catalog, folder, source=source)


def download_pack(repo_id: str, revision: str | None) -> tuple[Path, str]:
    """``(snapshot folder, commit sha)`` of the repo at ``revision``, via the HF cache.

    The manifest comes first; then only the files it lists (and the model card) are
    downloaded, from the same commit: whatever else the repo holds never reaches this machine.
    """
    from huggingface_hub import HfApi, constants, hf_hub_download, snapshot_download

    with hub_errors("pull the tag pack", repo_id, revision):
        manifest_path = Path(hf_hub_download(repo_id, MANIFEST_FILE, revision=revision,
                                             repo_type="model"))
    commit = manifest_path.parent.name
    if not _COMMIT.match(commit):
        raise HubError(f"could not tell which commit of {repo_id} was downloaded ({manifest_path})")
    if not constants.HF_HUB_OFFLINE:  # a pack carrying pickles is refused, not half-pulled
        with hub_errors("list the files of the tag pack", repo_id, commit):
            refuse_pickle_names(HfApi().list_repo_files(repo_id, revision=commit, repo_type="model"))
    manifest = read_manifest(manifest_path.parent)
    listed = [MANIFEST_FILE, CARD_FILE, *(t.file for t in manifest.tags),
              *(t.head.file for t in manifest.tags if t.head is not None)]
    with hub_errors("pull the tag pack", repo_id, commit):
        folder = Path(snapshot_download(repo_id, revision=commit, repo_type="model",
                                        allow_patterns=listed))
    return folder, commit
