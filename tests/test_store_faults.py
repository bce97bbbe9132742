"""Database faults reach the user as one clear line; lost files and held locks are detected."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from support.cli import TAGREGISTRY, run_cli

from tagregistry.errors import StoreError
from tagregistry.registry import Registry
from tagregistry.store.engine import sqlite_path

HIDDEN = 8


def vectors(value: float) -> np.ndarray:
    return np.full((2, HIDDEN), value, np.float32)


def _filled(path: Path, base_record) -> str:
    url = f"sqlite:///{path}"
    with Registry(url) as reg:
        reg.register("QED", vectors(1), base=base_record, kind="function")
    return url


def _one_error_line(done: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# -- one line per fault ----------------------------------------------------------------------
def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "registry.db"
    path.write_bytes(os.urandom(4096))
    _one_error_line(run_cli("--db", f"sqlite:///{path}", "list"), str(path), "not a registry database",
                    "backup")


def test_a_truncated_database(tmp_path: Path, base_record) -> None:
    path = tmp_path / "registry.db"
    url = _filled(path, base_record)
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.truncate(size // 2)
    _one_error_line(run_cli("--db", url, "list"), str(path), "damaged")


def test_a_folder_in_place_of_the_database(tmp_path: Path) -> None:
    (tmp_path / "registry.db").mkdir()
    _one_error_line(run_cli("--db", f"sqlite:///{tmp_path / 'registry.db'}", "list"), "is a folder")
    # same through TAGREGISTRY_HOME
    _one_error_line(run_cli("list", env={"TAGREGISTRY_HOME": str(tmp_path)}), "is a folder")


def test_home_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "home").write_text("not a folder")
    line = _one_error_line(run_cli("list", env={"TAGREGISTRY_HOME": str(tmp_path / "home")}), "TAGREGISTRY_HOME")
    assert "Errno" not in line


def test_dropped_tables(tmp_path: Path, base_record) -> None:
    path = tmp_path / "registry.db"
    url = _filled(path, base_record)
    with sqlite3.connect(path) as connection:
        connection.execute("DROP TABLE heads")
    _one_error_line(run_cli("--db", url, "list"), "no table 'heads'", "backup")


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("nonsense", "not a usable database URL"),
        ("nosuchdialect://host/db", "not a usable database URL"),
        ("postgresql+pg8000://user@127.0.0.1/tags", "'pg8000'"),
        ("postgresql+psycopg://user@127.0.0.1:1/tags", "cannot connect"),
    ],
)
def test_bad_database_urls(url: str, needle: str) -> None:
    _one_error_line(run_cli("--db", url, "list"), needle)
    line = _one_error_line(run_cli("list", env={"TAGREGISTRY_DB_URL": url}), needle)
    assert "Traceback" not in line


def test_postgresql_url_without_its_driver_names_the_fix() -> None:
    with pytest.raises(StoreError, match=r"pg8000.*postgresql\+psycopg://"):
        Registry("postgresql+pg8000://user@127.0.0.1/tags")


# -- read-only folders and immutable databases -----------------------------------------------
def _read_only_runner(folder: Path) -> list[str]:
    """A command prefix under which ``folder`` is read-only, even for root.

    Root ignores permission bits, so as root the folder is bind-mounted read-only in a
    private mount namespace (``unshare -m``); otherwise ``chmod`` does it.
    """
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return []
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    probe = subprocess.run(["unshare", "-m", "sh", "-c", script, str(folder), "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"running as root and cannot make a read-only mount: {probe.stderr.strip()}")
    return ["unshare", "-m", "sh", "-c", script, str(folder)]


def test_read_only_folder_offers_read_only_access(tmp_path: Path, base_record) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "registry.db"
    url = _filled(path, base_record)
    for name in ("registry.db-wal", "registry.db-shm"):
        assert not (folder / name).exists()  # closed cleanly: SQLite removed them
    prefix = _read_only_runner(folder)
    try:
        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([*prefix, str(TAGREGISTRY), "--db", url, *args],
                                  capture_output=True, text=True, timeout=120)

        _one_error_line(cli("list"), "read-only", "--read-only")
        done = cli("--read-only", "list")
        assert done.returncode == 0, done.stderr
        assert "QED" in done.stdout
        line = _one_error_line(cli("--read-only", "delete", "QED@1"), "open read-only")
        assert "try again" not in line and "busy" not in line
    finally:
        folder.chmod(0o755)


def test_immutable_database_is_not_reported_busy(tmp_path: Path, base_record) -> None:
    path = tmp_path / "registry.db"
    _filled(path, base_record)
    url = f"sqlite:///file:{path}?immutable=1&uri=true"
    assert sqlite_path(url) == path  # the file behind the URI (no "file:" folder in the cwd)
    done = run_cli("--db", url, "delete", "QED@1")
    line = _one_error_line(done, "cannot be written", "--read-only")
    assert "busy" not in line and "try again" not in line
    with Registry(f"sqlite:///{path}", read_only=True) as reg:
        assert reg.get("QED").version == 1
        with pytest.raises(StoreError, match="open read-only"):
            reg.register("QED", vectors(2), base=base_record, kind="function")


# -- the file vanishes under a live process ---------------------------------------------------
@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_writes_to_a_deleted_or_replaced_file_are_refused(tmp_path: Path, base_record, how: str) -> None:
    path = tmp_path / "registry.db"
    reg = Registry(f"sqlite:///{path}")
    try:
        reg.register("QED", vectors(1), base=base_record, kind="function")
        if how == "deleted":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            other = tmp_path / "other.db"
            _filled(other, base_record)
            os.replace(other, path)
        with pytest.raises(StoreError, match=f"was {how}") as info:
            reg.register("QED", vectors(2), base=base_record, kind="function")
        assert "nothing was read or written" in str(info.value)
        with pytest.raises(StoreError, match=f"was {how}"):
            reg.delete("QED@1")
        with pytest.raises(StoreError, match=f"was {how}"):  # reads are not served from it either
            reg.list()
    finally:
        reg.close()
    if how == "replaced":
        with Registry(f"sqlite:///{path}") as fresh:  # the new file is intact and usable
            assert [r.version for r in fresh.versions("QED")] == [1]
            assert fresh.register("QED", vectors(3), base=base_record, kind="function").version == 2


# -- a writer blocked by another process's transaction ---------------------------------------
def test_blocked_writer_says_it_waits_then_gives_up(tmp_path: Path, base_record) -> None:
    path = tmp_path / "registry.db"
    url = _filled(path, base_record)
    with Registry(url) as reg:
        exported = reg.export("QED", tmp_path / "qed.safetensors")
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process's open write transaction
        start = time.monotonic()
        done = run_cli("--db", url, "import", str(exported), env={"TAGREGISTRY_LOCK_TIMEOUT": "4"})
        elapsed = time.monotonic() - start
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert any("waiting for the registry" in line for line in lines), done.stderr
    assert lines[-1].startswith("error: gave up after waiting") and "TAGREGISTRY_LOCK_TIMEOUT" in lines[-1]
    assert elapsed < 30
    with Registry(url) as reg:
        assert [r.version for r in reg.versions("QED")] == [1]


def test_blocked_reader_says_it_waits_then_gives_up(tmp_path: Path, base_record) -> None:
    """Another process holding the file exclusively: a read says so after 3 s and gives up at
    the lock timeout, instead of waiting 60 s in silence."""
    path = tmp_path / "registry.db"
    url = _filled(path, base_record)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("SELECT count(*) FROM tags").fetchone()
        start = time.monotonic()
        done = run_cli("--db", url, "list", env={"TAGREGISTRY_LOCK_TIMEOUT": "4"})
        elapsed = time.monotonic() - start
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert done.returncode == 1 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert any("waiting for the registry" in line for line in lines), done.stderr
    assert lines[-1].startswith("error: gave up after waiting 4 s") and "locked" in lines[-1]
    assert elapsed < 30
    assert run_cli("--db", url, "list").returncode == 0


def test_bad_lock_timeout_setting(tmp_path: Path, base_record, monkeypatch) -> None:
    url = _filled(tmp_path / "registry.db", base_record)
    monkeypatch.setenv("TAGREGISTRY_LOCK_TIMEOUT", "soon")
    with Registry(url) as reg, pytest.raises(StoreError, match="TAGREGISTRY_LOCK_TIMEOUT='soon'"):
        reg.register("QED", vectors(2), base=base_record, kind="function")
