"""Repo references (``org/name[@rev]``) and translation of Hub client errors into ours."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from tagregistry.hub.errors import HubError

_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}$")
_REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,199}$")


def check_repo_id(repo_id: str) -> str:
    """Return ``repo_id`` if it looks like ``org/name``, else raise HubError."""
    if not isinstance(repo_id, str) or not _REPO_ID.match(repo_id) or ".." in repo_id:
        raise HubError(
            f"invalid Hub repo {repo_id!r}: write org/name (letters, digits, '_', '-', '.')"
        )
    return repo_id


def check_revision(revision: str) -> str:
    """Return ``revision`` (a branch, tag or commit sha) if it is well formed."""
    if not isinstance(revision, str) or not _REVISION.match(revision) or ".." in revision:
        raise HubError(f"invalid revision {revision!r}: use a branch, tag or commit sha")
    return revision


def parse_repo(repo: str, revision: str | None = None) -> tuple[str, str | None]:
    """Split ``"org/name@rev"`` into ``(repo_id, rev)``; ``revision`` may give the rev instead."""
    if not isinstance(repo, str):
        raise HubError(f"Hub repo must be a string like 'org/name', got {type(repo).__name__}")
    repo_id, sep, rev = repo.strip().partition("@")
    check_repo_id(repo_id)
    if sep and revision is not None and rev != revision:
        raise HubError(
            f"{repo!r} pins revision {rev!r} but revision={revision!r} was also given; use one"
        )
    chosen = rev if sep else revision
    return repo_id, (check_revision(chosen) if chosen is not None else None)


def _transport_errors() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = []
    for module in ("httpx2", "httpx"):
        try:
            found.append(__import__(module).HTTPError)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


@contextmanager
def hub_errors(action: str, repo_id: str, revision: str | None = None) -> Iterator[None]:
    """Re-raise ``huggingface_hub`` and transport errors as one-line HubErrors."""
    from huggingface_hub import constants
    from huggingface_hub.errors import (
        FileMetadataError,
        HfHubHTTPError,
        HFValidationError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    where = f"{repo_id}@{revision}" if revision else repo_id
    endpoint = constants.ENDPOINT
    try:
        yield
    except RevisionNotFoundError as exc:
        raise HubError(
            f"could not {action}: revision {revision or 'main'!r} does not exist in {repo_id} "
            f"on {endpoint}; use a branch, tag or commit sha of that repo"
        ) from exc
    except RepositoryNotFoundError as exc:
        raise HubError(
            f"could not {action}: repository {repo_id} not found on {endpoint} (or it is private "
            "and your token cannot read it); check the name and HF_TOKEN"
        ) from exc
    except OfflineModeIsEnabled as exc:
        raise HubError(
            f"could not {action}: HF_HUB_OFFLINE=1 is set and this needs the network; unset it"
        ) from exc
    except LocalEntryNotFoundError as exc:
        raise HubError(
            f"could not {action}: {where} is not in the local Hugging Face cache "
            f"({constants.HF_HUB_CACHE}) and {endpoint} cannot be used (offline or unreachable); "
            "pull it once while online, then it works offline"
        ) from exc
    except HfHubHTTPError as exc:
        summary = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise HubError(f"could not {action} ({where} on {endpoint}): {summary}") from exc
    except (FileMetadataError, HFValidationError) as exc:
        raise HubError(f"could not {action} ({where} on {endpoint}): {exc}") from exc
    except _transport_errors() as exc:
        raise HubError(
            f"could not {action}: {endpoint} is unreachable ({type(exc).__name__}: {exc}); "
            "check the network or HF_ENDPOINT"
        ) from exc
    except OSError as exc:  # e.g. the client's size consistency check on a cut-short download
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise HubError(f"could not {action} ({where} on {endpoint}): {first_line}") from exc
