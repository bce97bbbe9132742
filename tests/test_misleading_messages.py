"""Messages that used to mislead (issue 24): each now says what happened and what to do."""

from __future__ import annotations

import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
from support.cli import TAGREGISTRY, run_cli

from tagregistry.errors import NotFoundError
from tagregistry.registry import Registry
from tagregistry.specs import BaseModelRecord

HIDDEN = 8


def vectors(value: float) -> np.ndarray:
    return np.full((2, HIDDEN), value, np.float32)


@pytest.fixture
def filled(tmp_path: Path, base_record) -> tuple[Path, str]:
    path = tmp_path / "registry.db"
    url = f"sqlite:///{path}"
    with Registry(url) as reg:
        for i in range(3):
            reg.register("QED", vectors(i), base=base_record, kind="function")
    return path, url


def test_db_check_of_a_mistyped_path_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "registy.db"
    done = run_cli("--db", f"sqlite:///{missing}", "db", "check")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == f"error: no registry at {missing}: the file does not exist (check the " \
                          "path, --db or $TAGREGISTRY_DB_URL); nothing was checked\n"
    assert not missing.exists()


def test_db_check_finds_a_dropped_table(filled) -> None:
    path, url = filled
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("DROP TABLE tag_counters")
    report = Registry(url).check()
    assert "table tag_counters is missing" in report.problems


def test_a_lowered_counter_is_reported_and_never_reuses_a_stored_version(filled, base_record) -> None:
    path, url = filled
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("UPDATE tag_counters SET last_version = 1")
    with Registry(url) as reg:
        assert reg.check().problems == [
            "tag_counters: QED records last version 1 but version 3 exists (registering would "
            "reuse a version number)"]
        assert reg.register("QED", vectors(9), base=base_record, kind="function").version == 4
        assert reg.check().ok


def test_a_name_on_another_base_is_not_suggested_as_itself(filled, base_record) -> None:
    _, url = filled
    with Registry(url) as reg:
        reg.register_base(BaseModelRecord(model_id="other", hidden_size=HIDDEN, fingerprint="1" * 64))
        with pytest.raises(NotFoundError) as caught:
            reg.get("QED", base="other")
    assert str(caught.value) == ("no tag named 'QED' on base other; it exists on base model(s) "
                                 "tiny-test: choose one with base=... (CLI: --base)")


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite+pysqlite://"])
def test_an_in_memory_database_is_refused_by_the_cli(url: str) -> None:
    done = run_cli("--db", url, "list")
    assert done.returncode == 1 and "is an in-memory database" in done.stderr


def test_a_closed_stdout_is_one_error_line(filled) -> None:
    _, url = filled
    done = subprocess.run([str(TAGREGISTRY), "--db", url, "list"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False,
                          preexec_fn=lambda: __import__("os").close(1))
    assert done.returncode == 1
    assert done.stderr.startswith("error: standard output is closed") and "Traceback" not in done.stderr


def test_unknown_sqlite_url_parameters_are_one_error(filled) -> None:
    path, _ = filled
    done = run_cli("--db", f"sqlite:///{path}?timeuot=5", "list")
    assert done.returncode == 1 and "SAWarning" not in done.stderr
    assert done.stderr.startswith(f"error: 'sqlite:///{path}?timeuot=5': Query string argument(s) "
                                  "'timeuot' are not accepted")
    assert len(done.stderr.splitlines()) == 1


def test_a_dropped_migrations_table_fails_fast_and_says_why(filled) -> None:
    import time

    path, url = filled
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("DROP TABLE schema_migrations")
    started = time.monotonic()
    done = run_cli("--db", url, "list")
    assert done.returncode == 1 and time.monotonic() - started < 10
    assert "no record of its schema migrations" in done.stderr and "UNIQUE" not in done.stderr
