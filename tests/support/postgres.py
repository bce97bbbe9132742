"""A throwaway PostgreSQL server for the test session (real binaries, temp data dir).

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
``postgres`` OS user, in a temporary directory it owns. It listens on 127.0.0.1 only (unix
sockets stay in the temp dir), trusts local connections and is stopped and deleted at the end.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

BIN_DIRS = ("/usr/lib/postgresql/15/bin",)
#: not UTC on purpose: timestamps must round-trip whatever the server's time zone
SERVER_TIMEZONE = "America/New_York"


def find_bindir() -> Path | None:
    """The directory holding ``initdb``/``pg_ctl`` (``$TAGREGISTRY_TEST_PG_BIN`` first)."""
    candidates = [os.environ.get("TAGREGISTRY_TEST_PG_BIN", ""), *BIN_DIRS]
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").is_file() and (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    return None


def unavailable_reason() -> str | None:
    """Why a server cannot be started here, or ``None`` when it can."""
    if find_bindir() is None:
        return f"PostgreSQL 15 binaries not found in {', '.join(BIN_DIRS)} (set TAGREGISTRY_TEST_PG_BIN)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' OS user to run the server as"
        if shutil.which("runuser") is None:
            return "running as root and 'runuser' is missing"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg (3) is not installed: pip install 'psycopg[binary]'"
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """Start with :meth:`start`, get fresh databases with :meth:`create_database`, then :meth:`stop`."""

    def __init__(self) -> None:
        bindir = find_bindir()
        if bindir is None:
            raise RuntimeError(unavailable_reason() or "no PostgreSQL binaries")
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="tagregistry-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.log = self.root / "server.log"
        self.port = 0
        self._counter = itertools.count(1)
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n{log}"
            )

    def start(self) -> PostgresServer:
        """initdb + pg_ctl start (returns when the server accepts connections)."""
        self.sockets.mkdir()
        if self._as_postgres:
            entry = pwd.getpwnam("postgres")
            for path in (self.root, self.sockets):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C", "--no-sync",
        )
        for _attempt in range(5):
            self.port = free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sockets} "
                f"-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                f"-c timezone={SERVER_TIMEZONE} -c max_connections=60"
            )
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                          "-w", "-t", "60", "start")
                return self
            except RuntimeError:
                if "could not bind" not in (self.log.read_text() if self.log.exists() else ""):
                    raise
        raise RuntimeError(f"could not start PostgreSQL on a free port; see {self.log}")

    def stop(self) -> None:
        """Stop the server and delete its directory."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL (psycopg 3 driver) of one database on this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "t") -> str:
        """Create an empty database and return its URL."""
        import psycopg

        name = f"{prefix}_{os.getpid()}_{next(self._counter)}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)
