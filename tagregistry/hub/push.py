"""Publish tags as a pack in a Hub model repo; unchanged packs make no new commit."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagregistry.hub.errors import HubError
from tagregistry.hub.licenses import LICENSE_FILE
from tagregistry.hub.manifest import PACK_FILE_PATTERN
from tagregistry.hub.pack import save_pack
from tagregistry.hub.repo import check_repo_id, check_revision, hub_errors
from tagregistry.store.tag_store import BaseArg, TagStore

if TYPE_CHECKING:
    from tagregistry.plugins.manager import Catalog


@dataclass(frozen=True)
class PushResult:
    """What a push did: the repo, branch and commit that now hold the pack."""

    repo_id: str
    revision: str
    commit_sha: str
    url: str
    committed: bool
    files: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form for ``--json`` output."""
        return {
            "repo_id": self.repo_id, "revision": self.revision, "commit_sha": self.commit_sha,
            "url": self.url, "committed": self.committed, "files": list(self.files),
        }


def push_pack(
    store: TagStore,
    catalog: Catalog,
    refs: list[str],
    repo_id: str,
    *,
    revision: str | None = None,
    private: bool = False,
    commit_message: str | None = None,
    base: BaseArg = None,
) -> PushResult:
    """Write ``refs`` as a pack and commit it to ``repo_id`` (created if needed) on a branch.

    Only files whose content differs from the branch's are uploaded; pack files of tags no
    longer in the pack are deleted in the same commit. ``private`` applies to new repos.
    """
    check_repo_id(repo_id)
    branch = check_revision(revision) if revision else "main"
    with tempfile.TemporaryDirectory(prefix="tagpack-") as tmp:
        folder = save_pack(
            store, catalog, refs, Path(tmp) / "pack", base=base, name=repo_id.split("/", 1)[1],
            repo_id=repo_id,
        )
        local = {path.name: path for path in sorted(folder.iterdir())}
        with hub_errors("push the tag pack", repo_id, branch):
            return _commit(repo_id, branch, local, private, commit_message, refs)


def _commit(
    repo_id: str,
    branch: str,
    local: dict[str, Path],
    private: bool,
    message: str | None,
    refs: list[str],
) -> PushResult:
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
    from huggingface_hub.hf_api import RepoFile

    api = HfApi()
    api.create_repo(repo_id, private=private, exist_ok=True)
    if branch != "main":
        api.create_branch(repo_id, branch=branch, exist_ok=True)
    remote = {
        entry.path: entry
        for entry in api.list_repo_tree(repo_id, recursive=True, revision=branch)
        if isinstance(entry, RepoFile)
    }
    changed = [name for name, path in local.items() if not _same_content(path, remote.get(name))]
    stale = sorted(p for p in remote
                   if (PACK_FILE_PATTERN.match(p) or p == LICENSE_FILE) and p not in local)
    if not changed and not stale:
        sha = api.repo_info(repo_id, revision=branch).sha
        if sha is None:
            raise HubError(f"the Hub did not report the commit of {repo_id}@{branch}")
        return PushResult(repo_id, branch, sha, f"{api.endpoint}/{repo_id}/tree/{sha}", False)
    operations: list[Any] = [
        CommitOperationAdd(path_in_repo=name, path_or_fileobj=str(local[name])) for name in changed
    ]
    operations += [CommitOperationDelete(path_in_repo=name) for name in stale]
    text = message or f"tagregistry: push {', '.join(refs)}"
    try:
        info = api.create_commit(repo_id, operations, commit_message=text, revision=branch)
    except (ValueError, RuntimeError) as exc:  # the client's upload and LFS protocol errors
        raise HubError(f"the Hub refused the upload to {repo_id}@{branch}: {exc}") from exc
    return PushResult(repo_id, branch, info.oid, info.commit_url, True, tuple(changed + stale))


def _same_content(path: Path, remote: Any) -> bool:
    """Whether the remote file (a ``RepoFile`` or ``None``) holds exactly ``path``'s bytes."""
    if remote is None:
        return False
    data = path.read_bytes()
    if remote.size != len(data):
        return False
    if remote.lfs is not None:
        return remote.lfs.sha256 == hashlib.sha256(data).hexdigest()
    from huggingface_hub.utils.sha import git_hash

    return remote.blob_id == git_hash(data)
