"""The versioned tag store, on SQLite and on a real PostgreSQL server.

Every test takes ``db_registry``, which is parametrized over both backends.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, text

from tagregistry.errors import (
    AmbiguousReferenceError,
    BaseModelMismatchError,
    InputError,
    IntegrityError,
    InvalidNameError,
    NotFoundError,
)
from tagregistry.registry import Registry
from tagregistry.specs import BaseModelRecord, HeadSpec
from tagregistry.store.tag_store import HeadPayload
from tagregistry.store.writes import NewTag

HIDDEN = 8


def vectors(value: float, n: int = 2) -> np.ndarray:
    """An ``(n, HIDDEN)`` float32 tag whose every entry is ``value``."""
    return np.full((n, HIDDEN), value, dtype=np.float32)


def head_payload(scale: float = 1.0) -> HeadPayload:
    return HeadPayload(
        spec=HeadSpec(type="regression", output_dim=1),
        tensors={"linear.weight": np.full((1, HIDDEN), scale, np.float32),
                 "linear.bias": np.zeros((1,), np.float32)},
        config={"mean": 0.5, "std": 2.0},
    )


def counts(reg: Registry) -> dict[str, int]:
    """Row counts of every table that a register touches."""
    with reg.store.engine.connect() as connection:
        return {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("base_models", "tags", "heads", "tag_counters")
        }


# -- versions and resolution -----------------------------------------------------------------
def test_versions_count_per_name_and_base(db_registry, base_record, other_base) -> None:
    reg = db_registry
    got = [reg.register("QED", vectors(i), base=base_record, kind="function").version
           for i in range(3)]
    assert got == [1, 2, 3]
    assert reg.register("QED", vectors(9), base=other_base, kind="function").version == 1
    assert reg.register("LogP", vectors(7), base=base_record, kind="function").version == 1

    assert reg.get("QED", base=base_record).version == 3
    assert reg.get("QED", base="tiny-other").version == 1
    assert reg.get("QED@2", base=base_record).version == 2
    assert [r.version for r in reg.versions("QED", base=base_record)] == [1, 2, 3]
    assert reg.get("LogP").version == 1  # only on one base: no need to say which

    with pytest.raises(AmbiguousReferenceError) as info:
        reg.get("QED")
    assert "tiny-other" in str(info.value) and "tiny-test" in str(info.value)
    with pytest.raises(AmbiguousReferenceError):
        reg.get("QED@1")


def test_newest_and_pinned_resolve_to_the_stored_tensors(db_registry, base_record) -> None:
    reg = db_registry
    for value in (1.0, 2.0, 3.0):
        reg.register("SMILES", vectors(value), base=base_record, kind="domain")
    newest = reg.get("SMILES")
    assert (newest.name, newest.version, newest.kind) == ("SMILES", 3, "domain")
    assert reg.get("<SMILES>").version == 3
    assert float(reg.load("SMILES").mean()) == 3.0
    assert float(reg.load("SMILES@1").mean()) == 1.0
    assert tuple(reg.load("SMILES@2").shape) == (2, HIDDEN)
    assert reg.load_head("SMILES@2") == {}


def test_unknown_name_lists_close_matches(db_registry, base_record) -> None:
    reg = db_registry
    for name, kind in (("QED", "function"), ("LogP", "function"), ("Protein", "domain")):
        reg.register(name, vectors(0), base=base_record, kind=kind)
    with pytest.raises(NotFoundError) as info:
        reg.get("QDE")
    assert "'QDE'" in str(info.value) and "did you mean QED" in str(info.value)
    with pytest.raises(NotFoundError, match="did you mean Protein"):
        reg.get("protien@1")
    with pytest.raises(NotFoundError) as info:
        reg.versions("Zebrafish")
    assert "did you mean" not in str(info.value)


def test_unknown_version_lists_the_versions(db_registry, base_record) -> None:
    reg = db_registry
    for i in range(4):
        reg.register("QED", vectors(i), base=base_record, kind="function")
    reg.delete("QED@3")
    with pytest.raises(NotFoundError) as info:
        reg.get("QED@3")
    assert "no version 3" in str(info.value) and "versions: 1-2, 4" in str(info.value)


def test_deleted_version_numbers_are_never_reused(db_registry, base_record) -> None:
    reg = db_registry
    for i in range(3):
        reg.register("QED", vectors(i), base=base_record, kind="function")
    deleted = reg.delete("QED@3")
    assert (deleted.name, deleted.version) == ("QED", 3)
    assert reg.get("QED").version == 2  # "newest" is the newest that exists
    again = reg.register("QED", vectors(10), base=base_record, kind="function")
    assert again.version == 4
    reg.delete("QED@1")
    reg.delete("QED@2")
    reg.delete("QED@4")
    with pytest.raises(NotFoundError):
        reg.get("QED")
    assert reg.register("QED", vectors(11), base=base_record, kind="function").version == 5
    assert [r.version for r in reg.versions("QED")] == [5]


def test_delete_needs_a_pinned_existing_version(db_registry, base_record) -> None:
    reg = db_registry
    reg.register("QED", vectors(0), base=base_record, kind="function", head=head_payload())
    with pytest.raises(InvalidNameError, match="QED@1"):
        reg.delete("QED")
    with pytest.raises(NotFoundError):
        reg.delete("QED@2")
    before = counts(reg)
    reg.delete("QED@1")
    after = counts(reg)
    assert (before["tags"] - after["tags"], before["heads"] - after["heads"]) == (1, 1)


def test_list_filters_by_kind_base_and_versions(db_registry, base_record, other_base) -> None:
    reg = db_registry
    assert reg.list() == []
    for i in range(3):
        reg.register("QED", vectors(i), base=base_record, kind="function")
    reg.register("SMILES", vectors(5), base=base_record, kind="domain")
    reg.register("SMILES", vectors(6), base=other_base, kind="domain")

    newest = [(r.name, r.version, r.base.model_id) for r in reg.list()]
    assert newest == [("QED", 3, "tiny-test"), ("SMILES", 1, "tiny-test"),
                      ("SMILES", 1, "tiny-other")]
    assert [r.name for r in reg.list(kind="domain")] == ["SMILES", "SMILES"]
    assert [(r.name, r.version) for r in reg.list(kind="function", all_versions=True)] == [
        ("QED", 1), ("QED", 2), ("QED", 3)]
    assert [r.name for r in reg.list(base="tiny-other")] == ["SMILES"]
    assert len(reg.list(all_versions=True)) == 5
    assert [b.model_id for b in reg.bases()] == ["tiny-test", "tiny-other"]


def test_records_keep_metadata_and_provenance(db_registry, base_record) -> None:
    reg = db_registry
    before = datetime.now(UTC)
    record = reg.register(
        "QED", vectors(0.5, n=3), base=base_record, kind="function", head=head_payload(2.0),
        description="drug-likeness", source={"dataset": "rdkit-nci", "rows": 5000},
        data_hash="abc123", metrics={"val_mse": 0.25}, license="MIT",
    )
    stored = reg.get("QED@1")
    assert stored == record
    assert stored.model_dump() == record.model_dump()
    assert (stored.n_vectors, stored.dim, stored.dtype) == (3, HIDDEN, "float32")
    assert stored.source == {"dataset": "rdkit-nci", "rows": 5000}
    assert stored.metrics == {"val_mse": 0.25}
    assert stored.base == base_record
    assert stored.head is not None and stored.head.spec == HeadSpec(type="regression")
    assert stored.head.config == {"mean": 0.5, "std": 2.0}
    assert stored.head.shapes == {"linear.weight": [1, HIDDEN], "linear.bias": [1]}
    # the server runs in another time zone: the timestamp must still be "now" in UTC
    assert stored.created_at.tzinfo is not None
    assert before - timedelta(seconds=5) <= stored.created_at <= datetime.now(UTC) + timedelta(seconds=5)
    head = reg.load_head("QED")
    assert float(head["linear.weight"].sum()) == 2.0 * HIDDEN
    assert stored.summary()["head"] == "regression"


def test_register_validates_its_input(db_registry, base_record) -> None:
    reg = db_registry
    with pytest.raises(InvalidNameError):
        reg.register("../QED", vectors(0), base=base_record, kind="function")
    with pytest.raises(InvalidNameError, match="2-D"):
        reg.register("QED", np.zeros(HIDDEN, np.float32), base=base_record, kind="function")
    with pytest.raises(InvalidNameError, match="only function tags own heads"):
        reg.register("SMILES", vectors(0), base=base_record, kind="domain", head=head_payload())
    with pytest.raises(InvalidNameError, match="kind"):
        reg.register("QED", vectors(0), base=base_record, kind="task")  # type: ignore[arg-type]
    with pytest.raises(BaseModelMismatchError, match="hidden size 8"):
        reg.register("QED", np.zeros((2, 5), np.float32), base=base_record, kind="function")
    assert reg.bases() == []  # failed registers leave no base model behind
    reg.register_base(base_record)
    with pytest.raises(NotFoundError, match="tiny-test"):
        reg.register("QED", vectors(0), base="tiny-tset", kind="function")
    assert counts(reg)["tags"] == 0


def test_a_base_model_keeps_its_fingerprint(db_registry, base_record) -> None:
    reg = db_registry
    assert reg.register_base(base_record) == base_record
    assert reg.register_base(base_record) == base_record  # idempotent
    changed = BaseModelRecord(model_id="tiny-test", hidden_size=HIDDEN, fingerprint="f" * 64)
    with pytest.raises(BaseModelMismatchError, match="fingerprint"):
        reg.register_base(changed)
    with pytest.raises(BaseModelMismatchError):
        reg.register("QED", vectors(0), base=changed, kind="function")
    other_revision = changed.model_copy(update={"revision": "v2"})
    reg.register("QED", vectors(0), base=other_revision, kind="function")
    with pytest.raises(AmbiguousReferenceError, match="id@revision"):
        reg.get("QED", base="tiny-test")
    assert reg.get("QED", base="tiny-test@v2").base == other_revision


# -- one transaction per register ------------------------------------------------------------
def test_failed_register_leaves_the_store_unchanged(db_registry, base_record) -> None:
    reg = db_registry
    reg.register("QED", vectors(1), base=base_record, kind="function", head=head_payload())
    reg.register("QED", vectors(2), base=base_record, kind="function", head=head_payload())
    before = counts(reg)
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement.lstrip().upper())

    event.listen(reg.store.engine, "before_cursor_execute", record)
    try:
        # the store itself: Registry.register would refuse this before any transaction
        broken = HeadPayload(spec=HeadSpec(type="regression"), tensors={"w": object()})
        with pytest.raises(InputError, match="cannot store tensors"):
            reg.store.register(NewTag(name="QED", tensor=vectors(3), base=base_record,
                                      kind="function", head=broken))
        with pytest.raises(InputError, match="JSON values"):
            reg.register("QED", vectors(3), base=base_record, kind="function",
                         source={"when": datetime.now(UTC)})
    finally:
        event.remove(reg.store.engine, "before_cursor_execute", record)
    # both failed inside the write transaction, after the version counter had been read...
    assert any("FROM TAG_COUNTERS" in s for s in statements)
    # ...before any tag row was written, and all of it was rolled back
    assert not any(s.startswith("INSERT INTO TAGS") for s in statements)
    assert counts(reg) == before
    assert [r.version for r in reg.versions("QED")] == [1, 2]
    assert reg.register("QED", vectors(3), base=base_record, kind="function").version == 3


def test_batch_register_is_one_transaction(db_registry, base_record) -> None:
    reg = db_registry
    item = NewTag(name="QED", tensor=vectors(1), kind="function", base=base_record)
    done = reg.store.register_many([item, item, replace(item, name="LogP")], bases=[base_record])
    assert [(r.name, r.version) for r in done] == [("QED", 1), ("QED", 2), ("LogP", 1)]
    before = counts(reg)
    items = [
        NewTag(name="QED", tensor=vectors(1), kind="function", base=base_record),
        NewTag(name="LogP", tensor=vectors(2), kind="function", base=base_record,
               head=HeadPayload(spec=HeadSpec(type="regression"), tensors={"w": "not a tensor"})),
    ]
    with pytest.raises(InputError):
        reg.store.register_many(items)
    assert counts(reg) == before
    assert reg.register("QED", vectors(1), base=base_record, kind="function").version == 3


# -- integrity -------------------------------------------------------------------------------
def _tamper(reg: Registry, table: str, name: str, version: int) -> None:
    """Flip one byte of the stored tensor data with raw SQL, behind tagregistry's back."""
    where = "name = :name AND version = :version"
    if table == "heads":
        where = f"tag_id = (SELECT id FROM tags WHERE {where})"
    with reg.store.engine.begin() as connection:
        data = bytearray(connection.execute(
            text(f"SELECT data FROM {table} WHERE {where}"), {"name": name, "version": version}
        ).scalar_one())
        data[-1] ^= 0xFF
        connection.execute(
            text(f"UPDATE {table} SET data = :data WHERE {where}"),
            {"data": bytes(data), "name": name, "version": version},
        )


def test_tampered_tag_bytes_are_refused(db_registry, base_record, tmp_path) -> None:
    reg = db_registry
    for i in range(2):
        reg.register("QED", vectors(i), base=base_record, kind="function")
    _tamper(reg, "tags", "QED", 1)
    with pytest.raises(IntegrityError) as info:
        reg.load("QED@1")
    assert "QED@1" in str(info.value) and "checksum" in str(info.value)
    with pytest.raises(IntegrityError, match="QED@1"):
        reg.export("QED@1", tmp_path / "qed.safetensors")
    assert not (tmp_path / "qed.safetensors").exists()
    assert float(reg.load("QED@2").mean()) == 1.0  # the other version is intact


def test_tampered_head_bytes_are_refused(db_registry, base_record) -> None:
    reg = db_registry
    reg.register("QED", vectors(1), base=base_record, kind="function", head=head_payload())
    _tamper(reg, "heads", "QED", 1)
    with pytest.raises(IntegrityError) as info:
        reg.load_head("QED")
    assert "head of QED@1" in str(info.value)
    assert float(reg.load("QED").mean()) == 1.0  # the tag bytes themselves are fine
    with pytest.raises(IntegrityError, match="QED@1"):
        reg.store.raw_payloads(reg.get("QED"))


# -- property test: resolution against a model of the expected state -------------------------
NAMES = ("QED", "LogP", "Tox")
_EXAMPLE = itertools.count()
operations = st.lists(
    st.tuples(
        st.sampled_from(["register", "register", "delete", "delete_missing"]),
        st.integers(0, len(NAMES) - 1),
        st.integers(0, 1),
        st.integers(0, 50),
    ),
    max_size=20,
)


@settings(
    max_examples=20, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_version_resolution_matches_a_model(db_registry, base_record, other_base, ops) -> None:
    reg = db_registry
    bases = (base_record, other_base)
    prefix = f"E{next(_EXAMPLE)}x"  # examples share the database: give each its own names
    names = [prefix + n for n in NAMES]
    assigned: dict[tuple[int, int], int] = {}
    alive: dict[tuple[int, int], dict[int, str]] = {}
    fill = itertools.count(1)

    for op, n, b, pick in ops:
        key = (n, b)
        versions = alive.setdefault(key, {})
        if op == "register":
            record = reg.register(names[n], vectors(next(fill)), base=bases[b], kind="function")
            assigned[key] = assigned.get(key, 0) + 1
            assert record.version == assigned[key]
            versions[record.version] = record.sha256
        elif op == "delete" and versions:
            version = sorted(versions)[pick % len(versions)]
            assert reg.delete(f"{names[n]}@{version}", base=bases[b]).version == version
            del versions[version]
        else:
            missing = assigned.get(key, 0) + 1 + pick
            with pytest.raises(NotFoundError):
                reg.delete(f"{names[n]}@{missing}", base=bases[b])

    for n, name in enumerate(names):
        holders = []
        for b, base in enumerate(bases):
            versions = alive.get((n, b), {})
            if versions:
                holders.append(b)
                assert [r.version for r in reg.versions(name, base=base)] == sorted(versions)
                assert reg.get(name, base=base).version == max(versions)
                for version, sha in versions.items():
                    assert reg.get(f"{name}@{version}", base=base).sha256 == sha
            else:
                with pytest.raises(NotFoundError):
                    reg.get(name, base=base)
                with pytest.raises(NotFoundError):
                    reg.versions(name, base=base)
            for version in range(1, assigned.get((n, b), 0) + 1):
                if version not in versions:
                    with pytest.raises(NotFoundError):
                        reg.get(f"{name}@{version}", base=base)
        if not holders:
            with pytest.raises(NotFoundError):
                reg.get(name)
        elif len(holders) == 1:
            only = holders[0]
            assert reg.get(name).version == max(alive[(n, only)])
            assert reg.get(name).base == bases[only]
        else:
            with pytest.raises(AmbiguousReferenceError):
                reg.get(name)
