"""Record checksums over the metadata (issue 12 bug 3) and ``tagregistry db check``."""

from __future__ import annotations

import itertools
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from support.cli import run_cli

from tagregistry.errors import IntegrityError, TagRegistryError
from tagregistry.registry import Registry
from tagregistry.specs import HeadSpec
from tagregistry.store.migrations import applied_migrations
from tagregistry.store.tag_store import HeadPayload

HIDDEN = 8


def vectors(value: float) -> np.ndarray:
    return np.full((2, HIDDEN), value, np.float32)


def head() -> HeadPayload:
    return HeadPayload(spec=HeadSpec(type="regression"),
                       tensors={"linear.weight": np.ones((1, HIDDEN), np.float32),
                                "linear.bias": np.zeros((1,), np.float32)},
                       config={"mean": 0.5})


def _fill(reg: Registry, base_record) -> None:
    for name in ("QED", "LogP", "TPSA"):
        reg.register(name, vectors(1), base=base_record, kind="function", head=head(),
                     description=f"{name} regression", source={"dataset": "nci"})
    reg.register("SMILES", vectors(2), base=base_record, kind="domain", description="molecules")


def _sql(reg: Registry, statement: str) -> None:
    with reg.store.engine.begin() as connection:
        connection.execute(text(statement))


def test_changed_description_is_noticed(db_registry, base_record, tmp_path: Path) -> None:
    reg = db_registry
    _fill(reg, base_record)
    _sql(reg, "UPDATE tags SET description = 'edited' WHERE name = 'SMILES'")
    with pytest.raises(IntegrityError, match=r"SMILES@1 fails its metadata checksum"):
        reg.get("SMILES")
    with pytest.raises(IntegrityError, match="SMILES@1"):
        reg.list()
    assert reg.get("QED").description == "QED regression"  # the others are intact
    report = reg.check()
    assert not report.ok and report.records == 4 and report.heads == 3
    assert report.problems == ["SMILES@1 (tiny-test): record metadata fails its checksum"]


def test_a_lost_head_is_noticed(db_registry, base_record, tmp_path: Path) -> None:
    """Regression: QED, LogP and TPSA lost their heads and ``export`` wrote files without."""
    reg = db_registry
    _fill(reg, base_record)
    _sql(reg, "DELETE FROM heads")
    with pytest.raises(IntegrityError, match="metadata checksum"):
        reg.list()
    with pytest.raises(IntegrityError, match="QED@1"):
        reg.export("QED", tmp_path / "qed.safetensors")
    assert not (tmp_path / "qed.safetensors").exists()
    assert reg.get("SMILES").version == 1
    report = reg.check()
    assert len(report.problems) == 3 and all("metadata fails" in p for p in report.problems)


def test_changed_base_fingerprint_is_noticed(db_registry, base_record) -> None:
    reg = db_registry
    _fill(reg, base_record)
    _sql(reg, "UPDATE base_models SET fingerprint = '" + "e" * 64 + "'")
    with pytest.raises(IntegrityError, match="metadata checksum"):
        reg.get("SMILES")


def _page_of(path: Path, index_name: str) -> tuple[int, int]:
    with sqlite3.connect(path) as connection:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        root = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = ?",
                                  (index_name,)).fetchone()[0]
    return (root - 1) * page_size, page_size


def test_flipped_byte_in_the_heads_index_is_never_silent(tmp_path: Path, base_record) -> None:
    """The campaign's fault: one byte flipped in the page of the ``heads.tag_id`` index."""
    path = tmp_path / "registry.db"
    url = f"sqlite:///{path}"
    with Registry(url) as reg:
        _fill(reg, base_record)
    with sqlite3.connect(path) as connection:
        index = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'heads'"
        ).fetchone()[0]
    offset, page_size = _page_of(path, index)
    data = bytearray(path.read_bytes())
    data[offset + page_size - 2] ^= 0x01  # inside the last cell: a tag_id key
    path.write_bytes(bytes(data))

    with sqlite3.connect(path) as connection:  # the join now misses a head...
        heads = connection.execute("SELECT t.name, h.id FROM tags t LEFT JOIN heads h "
                                   "ON h.tag_id = t.id WHERE t.kind = 'function'").fetchall()
    assert any(head_id is None for _, head_id in heads)
    with Registry(url) as reg:  # ...which the record checksum reports instead of hiding
        with pytest.raises(IntegrityError, match="metadata checksum"):
            reg.list()
        lost = next(name for name, head_id in heads if head_id is None)
        with pytest.raises(TagRegistryError):
            reg.export(lost, tmp_path / "lost.safetensors")
        assert not (tmp_path / "lost.safetensors").exists()
    done = run_cli("--db", url, "db", "check")
    assert done.returncode == 1, done.stdout
    assert "DAMAGED" in done.stdout and "problem(s) found" in done.stdout


def test_db_check_cli(tmp_path: Path, base_record) -> None:
    path = tmp_path / "registry.db"
    url = f"sqlite:///{path}"
    with Registry(url) as reg:
        _fill(reg, base_record)
    done = run_cli("--db", url, "db", "check")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{path}: 4 records and 3 heads checked; ok"
    with Registry(url) as reg:
        with reg.store.engine.begin() as connection:  # flip a tensor byte behind our back
            blob = bytearray(connection.execute(text("SELECT data FROM tags WHERE name='LogP'")).scalar_one())
            blob[-1] ^= 0xFF
            connection.execute(text("UPDATE tags SET data = :d WHERE name = 'LogP'"), {"d": bytes(blob)})
        _sql(reg, "UPDATE tags SET description = 'x' WHERE name = 'TPSA'")
    done = run_cli("--db", url, "db", "check", "--json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["ok"] is False and report["records"] == 4
    assert any(p.startswith("checksum mismatch for tag LogP@1") for p in report["problems"])
    assert "TPSA@1 (tiny-test): record metadata fails its checksum" in report["problems"]

    path.write_bytes(b"definitely not sqlite" * 100)
    done = run_cli("--db", url, "db", "check")
    assert done.returncode == 1 and "DAMAGED  cannot open" in done.stdout


def test_migration_adds_checksums_to_existing_rows(db_url: str, base_record) -> None:
    with Registry(db_url) as reg:
        _fill(reg, base_record)
        with reg.store.engine.begin() as connection:  # back to the schema before 0003
            connection.execute(text("ALTER TABLE tags DROP COLUMN record_sha256"))
            connection.execute(text("DELETE FROM schema_migrations WHERE name = '0003_record_checksums'"))
    with Registry(db_url) as reg:
        assert "0003_record_checksums" in applied_migrations(reg.store.engine)
        assert [r.name for r in reg.list()] == ["LogP", "QED", "SMILES", "TPSA"]
        assert reg.get("QED").head is not None
        assert reg.check().ok
        _sql(reg, "UPDATE tags SET kind = 'domain' WHERE name = 'QED'")
        with pytest.raises(IntegrityError, match="QED@1"):
            reg.get("QED")


# -- property: any metadata a user can register verifies on every backend --------------------
_EXAMPLE = itertools.count()
_text = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=40)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(description=_text, source=st.dictionaries(_text, _json, max_size=5),
       metrics=st.dictionaries(_text, st.floats(allow_nan=False, allow_infinity=False), max_size=4),
       license=st.none() | _text.filter(bool), config=st.dictionaries(_text, _json, max_size=3))
def test_any_registered_metadata_verifies(db_registry, base_record, description, source, metrics,
                                          license, config) -> None:
    reg = db_registry
    name = f"P{next(_EXAMPLE)}"
    payload = HeadPayload(spec=HeadSpec(type="regression"),
                          tensors={"w": np.ones((1, HIDDEN), np.float32)}, config=config)
    record = reg.register(name, vectors(1), base=base_record, kind="function", head=payload,
                          description=description, source=source, metrics=metrics, license=license)
    assert reg.get(name) == record
    assert reg.versions(name) == [record]
