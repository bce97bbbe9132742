"""Download a pack (through the Hugging Face cache), verify it, and register its tags."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from tagregistry.hub.errors import HubError
from tagregistry.hub.pack import load_pack
from tagregistry.hub.repo import hub_errors, parse_repo
from tagregistry.specs import TagRecord

if TYPE_CHECKING:
    from tagregistry.registry import Registry

_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def pull_pack(registry: Registry, repo: str, *, revision: str | None = None) -> list[TagRecord]:
    """Register the tags of the pack in ``repo`` (``"org/name"`` or ``"org/name@rev"``).

    ``rev`` (or ``revision``) is a branch, tag or commit sha; the commit it resolves to is
    recorded in each new record's ``source["pack"]``. With ``HF_HUB_OFFLINE=1`` the pack
    is read from the local Hugging Face cache. Nothing is registered unless every check passes.
    """
    repo_id, rev = parse_repo(repo, revision)
    folder, commit = download_pack(repo_id, rev)
    source = {"repo": repo_id, "revision": commit, "requested": rev or "main"}
    return load_pack(registry, folder, source=source)


def download_pack(repo_id: str, revision: str | None) -> tuple[Path, str]:
    """``(snapshot folder, commit sha)`` of the repo at ``revision``, via the HF cache."""
    from huggingface_hub import snapshot_download

    with hub_errors("pull the tag pack", repo_id, revision):
        folder = Path(snapshot_download(repo_id, revision=revision, repo_type="model"))
    commit = folder.name
    if not _COMMIT.match(commit):
        raise HubError(f"could not tell which commit of {repo_id} was downloaded ({folder})")
    return folder, commit
