"""Find a pinned file on a PyPI-style simple index and download it, checking its sha256.

The index is ``$TAGREGISTRY_PYPI_INDEX``, else ``$PIP_INDEX_URL``, else PyPI. Its project
page is read as PEP 691 JSON or PEP 503 HTML, so a mirror (devpi, a proxy) works as well.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urldefrag, urljoin
from urllib.request import Request, urlopen

from tagregistry._version import __version__
from tagregistry.errors import DataUnavailableError, IntegrityError
from tagregistry.hashing import file_sha256
from tagregistry.specs import DataPackageSpec

DEFAULT_INDEX = "https://pypi.org/simple"
INDEX_ENV = "TAGREGISTRY_PYPI_INDEX"
TIMEOUT_S = 60
CHUNK_BYTES = 1 << 16
MAX_INDEX_BYTES = 32 * 1024 * 1024
_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"


def index_url() -> str:
    """The simple index to fetch from (no trailing slash)."""
    return (os.environ.get(INDEX_ENV) or os.environ.get("PIP_INDEX_URL") or DEFAULT_INDEX).rstrip("/")


def _request(url: str, accept: str = "*/*") -> Request:
    return Request(url, headers={"Accept": accept, "User-Agent": f"tagregistry/{__version__}"})


def _unreachable(what: str, url: str, exc: BaseException) -> DataUnavailableError:
    reason = getattr(exc, "reason", None) or exc
    return DataUnavailableError(
        f"cannot download {what} from {url} ({reason}); connect to the network (or set "
        f"{INDEX_ENV} to a reachable index) and run `tagregistry data fetch`, or put the file "
        "in a folder and run `tagregistry data fetch --from FOLDER`"
    )


class _Links(HTMLParser):
    """``(text, href)`` of every ``<a>`` on a PEP 503 page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or ""

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self.links.append((data.strip(), self._href))
            self._href = None


def _listed_files(body: bytes, json_page: bool) -> dict[str, tuple[str, str | None]]:
    """``{filename: (url, sha256 or None)}`` of an index page."""
    if json_page:
        return {f["filename"]: (f["url"], (f.get("hashes") or {}).get("sha256"))
                for f in json.loads(body).get("files", [])}
    parser = _Links()
    parser.feed(body.decode("utf-8", "replace"))
    found = {}
    for text, href in parser.links:
        url, fragment = urldefrag(href)
        digest = re.fullmatch(r"sha256=([0-9a-f]{64})", fragment)
        found[text or url.rsplit("/", 1)[-1]] = (url, digest.group(1) if digest else None)
    return found


def file_url(spec: DataPackageSpec, index: str | None = None) -> str:
    """Where ``spec.filename`` lives, read from the project's page on the index."""
    project = re.sub(r"[-_.]+", "-", spec.name).lower()
    page = f"{index or index_url()}/{project}/"
    try:
        with urlopen(_request(page, _ACCEPT), timeout=TIMEOUT_S) as response:
            body = response.read(MAX_INDEX_BYTES)
            json_page = "json" in response.headers.get_content_type()
    except HTTPError as exc:
        raise DataUnavailableError(
            f"{page} answered HTTP {exc.code}: the index does not serve the project {spec.name!r}; "
            f"set {INDEX_ENV} to an index that does (default {DEFAULT_INDEX})"
        ) from exc
    except (URLError, OSError) as exc:
        raise _unreachable(f"the file list of {spec.name}", page, exc) from exc
    try:
        files = _listed_files(body, json_page)
    except (ValueError, AttributeError, KeyError, TypeError) as exc:
        raise DataUnavailableError(f"{page} is not a readable simple-index page ({exc})") from exc
    if spec.filename not in files:
        raise DataUnavailableError(
            f"{page} does not list {spec.filename} (the pinned file of {spec.name} {spec.version}); "
            f"set {INDEX_ENV} to an index that has it"
        )
    url, listed = files[spec.filename]
    if listed is not None and listed != spec.sha256:
        raise IntegrityError(
            f"{page} lists {spec.filename} with sha256 {listed}, but the plugin pins {spec.sha256}: "
            "the file changed upstream; nothing was downloaded (update the plugin)"
        )
    return urljoin(page, url)


def download(spec: DataPackageSpec, target: Path, progress: bool = True) -> Path:
    """Download ``spec.filename`` into the file ``target``; its sha256 must match the pin."""
    from tqdm.auto import tqdm

    url = file_url(spec)
    digest, written = hashlib.sha256(), 0
    try:
        with urlopen(_request(url), timeout=TIMEOUT_S) as response, target.open("wb") as out, tqdm(
            total=spec.size or response.length, unit="B", unit_scale=True,
            desc=f"Downloading {spec.filename}", disable=not progress,
        ) as bar:
            while chunk := response.read(CHUNK_BYTES):
                written += len(chunk)
                if spec.size and written > spec.size:
                    raise IntegrityError(f"{url} sent more than the {spec.size:,} bytes pinned for "
                                         f"{spec.filename}; nothing was kept")
                digest.update(chunk)
                out.write(chunk)
                bar.update(len(chunk))
    except (URLError, OSError) as exc:
        target.unlink(missing_ok=True)
        raise _unreachable(spec.filename, url, exc) from exc
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    check_sha256(target, spec, digest.hexdigest(), url)
    return target


def check_sha256(path: Path, spec: DataPackageSpec, actual: str | None = None,
                 origin: str | None = None) -> None:
    """IntegrityError (and ``path`` removed if it was downloaded) unless its sha256 is the pin."""
    actual = actual or file_sha256(path)
    if actual != spec.sha256:
        if origin is not None:
            path.unlink(missing_ok=True)
        raise IntegrityError(
            f"{spec.filename} from {origin or path} has sha256 {actual}, but {spec.name} "
            f"{spec.version} is pinned to {spec.sha256}; nothing was unpacked"
        )
