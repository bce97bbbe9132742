"""A simple package index on 127.0.0.1 (PEP 691 JSON or PEP 503 HTML) serving files from memory.

Counts every request by path, so a test can tell whether a second fetch reached the server,
and answers 404 for anything it does not hold.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
import zipfile
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def wheel_bytes(members: dict[str, bytes]) -> bytes:
    """A zip file (a wheel's format) holding ``members``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def sdist_bytes(members: dict[str, bytes]) -> bytes:
    """A ``.tar.gz`` file (an sdist's format) holding ``members``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class PackageIndex:
    """``files[project][filename] = bytes``; ``listed_sha256`` overrides what the page says."""

    def __init__(self, html: bool = False) -> None:
        self.files: dict[str, dict[str, bytes]] = {}
        self.listed_sha256: dict[str, str | None] = {}
        self.served: dict[str, bytes] = {}  # filename -> bytes sent instead of the real ones
        self.html = html
        self.requests: Counter[str] = Counter()
        index = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                index.requests[self.path] += 1
                status, body, kind = index.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/simple"

    def __enter__(self) -> PackageIndex:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path: str) -> tuple[int, bytes, str]:
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "simple" and parts[1] in self.files:
            return 200, *self._page(parts[1])
        if len(parts) == 3 and parts[0] == "files" and parts[2] in self.files.get(parts[1], {}):
            data = self.served.get(parts[2], self.files[parts[1]][parts[2]])
            return 200, data, "application/octet-stream"
        return 404, f"no route {path}".encode(), "text/plain"

    def _page(self, project: str) -> tuple[bytes, str]:
        entries = []
        for name, data in self.files[project].items():
            digest = self.listed_sha256.get(name, sha256(data))
            entries.append((name, f"../../files/{project}/{name}", digest))
        if self.html:
            links = "".join(f'<a href="{url}#sha256={digest}">{name}</a><br/>' if digest
                            else f'<a href="{url}">{name}</a><br/>' for name, url, digest in entries)
            return f"<html><body>{links}</body></html>".encode(), "text/html"
        files = [{"filename": name, "url": url, "hashes": {"sha256": digest} if digest else {}}
                 for name, url, digest in entries]
        return json.dumps({"meta": {"api-version": "1.0"}, "name": project, "files": files}).encode(), \
            "application/vnd.pypi.simple.v1+json"
