"""A small in-memory server speaking the Hugging Face Hub HTTP API, for tests without network.

It implements what ``huggingface_hub`` uses to create repos, commit (inline "regular" files
and the LFS batch / upload / verify path), resolve revisions, list refs and trees, create
branches and tags, and download files with the headers the client's cache relies on. Any
other route answers 404 with a body naming the method and path (and is logged in
``state.unknown``), so protocol drift in a new client version shows up as a clear failure.

``bootstrap()`` must run before ``huggingface_hub`` is imported: the client reads
``HF_ENDPOINT`` and its cache paths at import time.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN = "hf_tagregistry_test_token"
_SERVER: HubServer | None = None


def git_blob_oid(data: bytes) -> str:
    """The git object id of a blob with this content (what the Hub calls a file's oid)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(oid: str, size: int) -> bytes:
    """The git-lfs pointer file stored in git for an LFS file."""
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n".encode()


@dataclass
class Blob:
    """A file in a commit."""

    data: bytes
    lfs: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def oid(self) -> str:
        if self.lfs:
            return git_blob_oid(lfs_pointer(self.sha256, len(self.data)))
        return git_blob_oid(self.data)

    @property
    def etag(self) -> str:
        return self.sha256 if self.lfs else self.oid


@dataclass
class Commit:
    sha: str
    parent: str | None
    title: str
    files: dict[str, Blob]
    date: datetime


@dataclass
class Repo:
    repo_id: str
    private: bool
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)

    def resolve(self, rev: str) -> Commit | None:
        """The commit a branch, tag or full commit sha points to."""
        sha = self.branches.get(rev) or self.tags.get(rev) or (rev if rev in self.commits else None)
        return self.commits.get(sha) if sha else None


@dataclass
class HubState:
    """Everything the server holds; tests may read it and set the knobs."""

    repos: dict[str, Repo] = field(default_factory=dict)
    lfs_objects: dict[str, bytes] = field(default_factory=dict)
    lfs_patterns: tuple[str, ...] = ()
    truncate: dict[str, str] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    unknown: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    counter: int = 0

    def new_commit(self, repo: Repo, parent: str | None, title: str, files: dict[str, Blob]) -> Commit:
        self.counter += 1
        digest = hashlib.sha1(f"{repo.repo_id}\n{parent}\n{title}\n{self.counter}".encode())
        for path in sorted(files):
            digest.update(f"{path}:{files[path].oid}".encode())
        commit = Commit(digest.hexdigest(), parent, title, files, datetime.now(UTC))
        repo.commits[commit.sha] = commit
        return commit

    def commit_count(self, repo_id: str) -> int:
        return len(self.repos[repo_id].commits)


class HttpError(Exception):
    """An error answer: status, message and the Hub's X-Error-Code."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


_REPO = r"(?P<repo>[^/]+/[^/]+)"
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(p), h) for m, p, h in [
        ("POST", r"^/api/repos/create$", "create_repo"),
        ("GET", r"^/api/agent-harnesses$", "agent_harnesses"),
        ("POST", r"^/api/validate-yaml$", "validate_yaml"),
        ("GET", rf"^/api/models/{_REPO}$", "repo_info"),
        ("GET", rf"^/api/models/{_REPO}/revision/(?P<rev>[^/]+)$", "repo_info"),
        ("GET", rf"^/api/models/{_REPO}/refs$", "refs"),
        ("POST", rf"^/api/models/{_REPO}/preupload/(?P<rev>[^/]+)$", "preupload"),
        ("POST", rf"^/api/models/{_REPO}/commit/(?P<rev>[^/]+)$", "commit"),
        ("GET", rf"^/api/models/{_REPO}/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?$", "tree"),
        ("POST", rf"^/api/models/{_REPO}/paths-info/(?P<rev>[^/]+)$", "paths_info"),
        ("POST", rf"^/api/models/{_REPO}/tag/(?P<rev>[^/]+)$", "create_tag"),
        ("POST", rf"^/api/models/{_REPO}/branch/(?P<branch>[^/]+)$", "create_branch"),
        ("DELETE", rf"^/api/models/{_REPO}/branch/(?P<branch>[^/]+)$", "delete_branch"),
        ("POST", rf"^/{_REPO}\.git/info/lfs/objects/batch$", "lfs_batch"),
        ("PUT", r"^/lfs-upload/(?P<oid>[0-9a-f]{64})$", "lfs_upload"),
        ("POST", rf"^/lfs-verify/{_REPO}$", "lfs_verify"),
        ("HEAD", rf"^/{_REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)$", "resolve"),
        ("GET", rf"^/{_REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)$", "resolve"),
    ]
]


class HubHandler(BaseHTTPRequestHandler):
    """Routes requests to ``_h_<name>`` methods; unknown routes answer 404 naming them."""

    protocol_version = "HTTP/1.1"
    server: HubHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # -- plumbing -------------------------------------------------------------------------
    @property
    def state(self) -> HubState:
        return self.server.state

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        body = self._body() if method in ("POST", "PUT", "DELETE") else b""
        with self.state.lock:
            self.state.requests.append((method, url.path))
        for route_method, pattern, name in ROUTES:
            match = pattern.match(url.path)
            if route_method == method and match:
                params = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
                query = {k: v[-1] for k, v in parse_qs(url.query).items()}
                try:
                    with self.state.lock:
                        getattr(self, f"_h_{name}")(body=body, query=query, **params)
                except HttpError as exc:
                    self._send_json(exc.status, {"error": exc.message}, error_code=exc.code)
                return
        with self.state.lock:
            self.state.unknown.append((method, url.path))
        self._send_json(404, {"error": f"test Hub server: no route for {method} {url.path}"})

    def _send(self, status: int, data: bytes, headers: dict[str, str] | None = None,
              content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _send_json(self, status: int, payload: Any, error_code: str | None = None,
                   headers: dict[str, str] | None = None) -> None:
        extra = dict(headers or {})
        if error_code:
            extra["X-Error-Code"] = error_code
        self._send(status, json.dumps(payload).encode(), extra)

    def _authorized(self) -> bool:
        return self.headers.get("Authorization", "") == f"Bearer {TOKEN}"

    def _require_write(self) -> None:
        if not self._authorized():
            raise HttpError(401, "Invalid credentials in Authorization header")

    def _repo(self, repo: str) -> Repo:
        found = self.state.repos.get(repo)
        if found is None or (found.private and not self._authorized()):
            raise HttpError(404, f"Repository not found: {repo}", "RepoNotFound")
        return found

    def _commit(self, repo: Repo, rev: str) -> Commit:
        commit = repo.resolve(rev)
        if commit is None:
            raise HttpError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        return commit

    # -- repos ----------------------------------------------------------------------------
    def _h_create_repo(self, body: bytes, query: dict[str, str]) -> None:
        self._require_write()
        payload = json.loads(body)
        if payload.get("type", "model") != "model":
            raise HttpError(400, "the test Hub only holds model repos")
        repo_id = f"{payload['organization']}/{payload['name']}"
        if repo_id in self.state.repos:  # the Hub's 409 answer still carries the repo url
            self._send_json(409, {"error": "You already created this model repo",
                                  "url": f"{self.base_url}/{repo_id}"})
            return
        private = payload.get("visibility") == "private" or bool(payload.get("private"))
        repo = Repo(repo_id, private)
        attributes = Blob(b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n", lfs=False)
        first = self.state.new_commit(repo, None, "initial commit", {".gitattributes": attributes})
        repo.branches["main"] = first.sha
        self.state.repos[repo_id] = repo
        self._send_json(200, {"url": f"{self.base_url}/{repo_id}", "name": repo_id})

    def _h_agent_harnesses(self, body: bytes, query: dict[str, str]) -> None:
        raise HttpError(404, "the test Hub has no agent registry")

    def _h_validate_yaml(self, body: bytes, query: dict[str, str]) -> None:
        import yaml

        content = json.loads(body).get("content", "")
        match = re.match(r"^---\n(.*?)\n---\n", content, re.S)
        if match is None:
            self._send_json(200, {"errors": [], "warnings": [{"message": "empty metadata"}]})
            return
        try:
            meta = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            self._send_json(400, {"error": "invalid yaml", "errors": [{"message": str(exc)}]})
            return
        if not isinstance(meta, dict):
            self._send_json(400, {"error": "bad metadata", "errors": [{"message": "not a mapping"}]})
            return
        self._send_json(200, {"errors": [], "warnings": []})

    def _h_repo_info(self, body: bytes, query: dict[str, str], repo: str, rev: str = "main") -> None:
        found = self._repo(repo)
        commit = self._commit(found, rev)
        self._send_json(200, {
            "id": repo, "_id": repo, "modelId": repo, "author": repo.split("/")[0],
            "sha": commit.sha, "private": found.private, "disabled": False, "gated": False,
            "lastModified": commit.date.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", "tags": [], "library_name": None,
            "siblings": [{"rfilename": path} for path in sorted(commit.files)],
        })

    def _h_refs(self, body: bytes, query: dict[str, str], repo: str) -> None:
        found = self._repo(repo)

        def refs(kind: str, items: dict[str, str]) -> list[dict[str, str]]:
            return [{"name": n, "ref": f"refs/{kind}/{n}", "targetCommit": s} for n, s in items.items()]

        self._send_json(200, {
            "branches": refs("heads", found.branches), "tags": refs("tags", found.tags),
            "converts": [], "pullRequests": [],
        })

    def _h_create_branch(self, body: bytes, query: dict[str, str], repo: str, branch: str) -> None:
        self._require_write()
        found = self._repo(repo)
        if branch in found.branches:
            raise HttpError(409, f"Branch {branch} already exists")
        start = (json.loads(body) if body else {}).get("startingPoint") or "main"
        found.branches[branch] = self._commit(found, start).sha
        self._send_json(200, {})

    def _h_delete_branch(self, body: bytes, query: dict[str, str], repo: str, branch: str) -> None:
        self._require_write()
        found = self._repo(repo)
        if found.branches.pop(branch, None) is None:
            raise HttpError(404, f"Invalid rev id: {branch}", "RevisionNotFound")
        self._send_json(200, {})

    def _h_create_tag(self, body: bytes, query: dict[str, str], repo: str, rev: str) -> None:
        self._require_write()
        found = self._repo(repo)
        tag = json.loads(body)["tag"]
        if tag in found.tags:
            raise HttpError(409, f"Tag {tag} already exists")
        found.tags[tag] = self._commit(found, rev).sha
        self._send_json(200, {})

    # -- commits --------------------------------------------------------------------------
    def _upload_mode(self, path: str) -> str:
        return "lfs" if any(fnmatch.fnmatch(path, p) for p in self.state.lfs_patterns) else "regular"

    def _h_preupload(self, body: bytes, query: dict[str, str], repo: str, rev: str) -> None:
        self._require_write()
        found = self._repo(repo)
        commit = self._commit(found, rev)
        files = []
        for item in json.loads(body)["files"]:
            mode = self._upload_mode(item["path"])
            entry: dict[str, Any] = {"path": item["path"], "uploadMode": mode, "shouldIgnore": False}
            existing = commit.files.get(item["path"])
            if existing is not None:
                entry["oid"] = existing.sha256 if mode == "lfs" else git_blob_oid(existing.data)
            files.append(entry)
        self._send_json(200, {"files": files, "commitOid": commit.sha})

    def _h_commit(self, body: bytes, query: dict[str, str], repo: str, rev: str) -> None:
        self._require_write()
        found = self._repo(repo)
        if rev not in found.branches:
            raise HttpError(404, f"Invalid rev id: {rev} (commits go to branches)", "RevisionNotFound")
        head = self._commit(found, rev)
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        if not lines or lines[0].get("key") != "header":
            raise HttpError(400, "commit payload must start with a header line")
        header = lines[0]["value"]
        if header.get("parentCommit") not in (None, head.sha):
            raise HttpError(412, "A commit has happened since. Please refresh and try again.")
        files = dict(head.files)
        for line in lines[1:]:
            key, value = line.get("key"), line.get("value", {})
            path = value.get("path", "")
            if not path or path.startswith("/") or ".." in path.split("/"):
                raise HttpError(400, f"invalid path in commit: {path!r}")
            if key == "file":
                if value.get("encoding") != "base64":
                    raise HttpError(400, f"unsupported encoding {value.get('encoding')!r}")
                files[path] = Blob(base64.b64decode(value["content"]), lfs=False)
            elif key == "lfsFile":
                data = self.state.lfs_objects.get(value.get("oid", ""))
                if data is None or ("size" in value and len(data) != value["size"]):
                    raise HttpError(422, f"LFS object {value.get('oid')} for {path} was never uploaded")
                files[path] = Blob(data, lfs=True)
            elif key == "deletedFile":
                if files.pop(path, None) is None:
                    raise HttpError(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
            elif key == "deletedFolder":
                prefix = path.rstrip("/") + "/"
                for name in [n for n in files if n.startswith(prefix)]:
                    del files[name]
            else:
                raise HttpError(400, f"unsupported commit operation {key!r}")
        commit = self.state.new_commit(found, head.sha, header.get("summary", ""), files)
        found.branches[rev] = commit.sha
        self._send_json(200, {
            "success": True, "commitOid": commit.sha, "pullRequestUrl": None,
            "commitUrl": f"{self.base_url}/{repo}/commit/{commit.sha}",
        })

    # -- LFS ------------------------------------------------------------------------------
    def _h_lfs_batch(self, body: bytes, query: dict[str, str], repo: str) -> None:
        self._require_write()
        self._repo(repo)
        payload = json.loads(body)
        if payload.get("operation") != "upload":
            raise HttpError(400, "the test Hub only supports LFS uploads through the batch API")
        objects = []
        for obj in payload["objects"]:
            entry: dict[str, Any] = {"oid": obj["oid"], "size": obj["size"]}
            if obj["oid"] not in self.state.lfs_objects:
                entry["actions"] = {
                    "upload": {"href": f"{self.base_url}/lfs-upload/{obj['oid']}", "header": {}},
                    "verify": {"href": f"{self.base_url}/lfs-verify/{repo}", "header": {}},
                }
            objects.append(entry)
        self._send_json(200, {"transfer": "basic", "objects": objects})

    def _h_lfs_upload(self, body: bytes, query: dict[str, str], oid: str) -> None:
        if hashlib.sha256(body).hexdigest() != oid:
            raise HttpError(400, f"uploaded content does not hash to {oid}")
        self.state.lfs_objects[oid] = body
        self._send(200, b"", {"ETag": f'"{oid}"'})

    def _h_lfs_verify(self, body: bytes, query: dict[str, str], repo: str) -> None:
        payload = json.loads(body)
        data = self.state.lfs_objects.get(payload["oid"])
        if data is None or len(data) != payload["size"]:
            raise HttpError(404, f"LFS object {payload['oid']} is missing or has the wrong size")
        self._send_json(200, {"success": True})

    # -- reading --------------------------------------------------------------------------
    @staticmethod
    def _file_entry(path: str, blob: Blob) -> dict[str, Any]:
        entry: dict[str, Any] = {"type": "file", "path": path, "size": len(blob.data), "oid": blob.oid}
        if blob.lfs:
            pointer = lfs_pointer(blob.sha256, len(blob.data))
            entry["lfs"] = {"oid": blob.sha256, "size": len(blob.data), "pointerSize": len(pointer)}
        return entry

    @staticmethod
    def _folder_entry(path: str) -> dict[str, Any]:
        return {"type": "directory", "path": path, "oid": hashlib.sha1(path.encode()).hexdigest()}

    def _h_tree(self, body: bytes, query: dict[str, str], repo: str, rev: str, path: str = "") -> None:
        commit = self._commit(self._repo(repo), rev)
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        recursive = query.get("recursive", "false").lower() in ("1", "true")
        entries: list[dict[str, Any]] = []
        folders: set[str] = set()
        for name in sorted(commit.files):
            if not name.startswith(prefix):
                continue
            rest = name[len(prefix):].split("/")
            for depth in range(1, len(rest)):
                if recursive or depth == 1:
                    folders.add(prefix + "/".join(rest[:depth]))
            if recursive or len(rest) == 1:
                entries.append(self._file_entry(name, commit.files[name]))
        if prefix and not entries and not folders:
            raise HttpError(404, f"{path} does not exist at {rev}", "EntryNotFound")
        self._send_json(200, [self._folder_entry(f) for f in sorted(folders)] + entries)

    def _h_paths_info(self, body: bytes, query: dict[str, str], repo: str, rev: str) -> None:
        commit = self._commit(self._repo(repo), rev)
        form = parse_qs(body.decode())
        result = []
        for path in form.get("paths", []):
            if path in commit.files:
                result.append(self._file_entry(path, commit.files[path]))
            elif any(n.startswith(path.rstrip("/") + "/") for n in commit.files):
                result.append(self._folder_entry(path))
        self._send_json(200, result)

    def _h_resolve(self, body: bytes, query: dict[str, str], repo: str, rev: str, path: str) -> None:
        found = self._repo(repo)
        commit = self._commit(found, rev)
        blob = commit.files.get(path)
        if blob is None:
            raise HttpError(404, f"Entry not found: {path}", "EntryNotFound")
        data = blob.data
        mode = self.state.truncate.get(path)
        announced = len(data)
        if mode == "stored":  # the Hub serves a damaged copy, consistently
            data = data[: len(data) // 2]
            announced = len(data)
        elif mode == "short" and self.command == "GET":  # the body stops early
            data = data[: len(data) // 2]
        headers = {"ETag": f'"{blob.etag}"', "X-Repo-Commit": commit.sha, "Accept-Ranges": "none"}
        if blob.lfs:
            headers.update({"X-Linked-Etag": f'"{blob.etag}"', "X-Linked-Size": str(announced)})
        if self.command == "HEAD":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(announced))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            return
        self._send(200, data, headers, content_type="application/octet-stream")


class HubHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    state: HubState


class HubServer:
    """The running server: ``url``, ``state`` and ``stop()``."""

    def __init__(self, home: str | None = None) -> None:
        self.home = home
        self.httpd = HubHTTPServer(("127.0.0.1", 0), HubHandler)
        self.httpd.state = HubState()
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="test-hub", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def state(self) -> HubState:
        return self.httpd.state

    def stop(self) -> None:
        """Stop serving and remove the temporary HF_HOME made by ``bootstrap()``."""
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.home:
            shutil.rmtree(self.home, ignore_errors=True)


def bootstrap() -> HubServer:
    """Start the server once and point ``huggingface_hub`` at it (call before importing it)."""
    global _SERVER
    if _SERVER is not None:
        return _SERVER
    if "huggingface_hub" in sys.modules:
        raise RuntimeError(
            "huggingface_hub was imported before the test Hub server started, so it would talk "
            "to the real Hub; start it first (tests/conftest.py imports tests/hub/hub_server.py)"
        )
    home = tempfile.mkdtemp(prefix="tagregistry-test-hf-")
    _SERVER = HubServer(home)
    os.environ.update({
        "HF_ENDPOINT": _SERVER.url,
        "HF_HOME": home,
        "HF_HUB_CACHE": os.path.join(home, "hub"),
        "HF_XET_CACHE": os.path.join(home, "xet"),
        "HF_TOKEN": TOKEN,
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "HF_HUB_DISABLE_IMPLICIT_TOKEN": "0",
    })
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_XET", "HUGGINGFACE_CO_STAGING"):
        os.environ.pop(name, None)
    return _SERVER


def server() -> HubServer:
    """The running server (``bootstrap()`` must have run)."""
    if _SERVER is None:
        raise RuntimeError("the test Hub server is not running; call hub_server.bootstrap() first")
    return _SERVER
