"""``db check``: the database's own integrity check, then every record, tensor and head verified."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, inspect, select
from sqlalchemy.exc import DBAPIError

from tagregistry import tensors
from tagregistry.errors import IntegrityError
from tagregistry.specs import BaseModelRecord
from tagregistry.store.checksums import row_digest
from tagregistry.store.faults import first_line
from tagregistry.store.queries import ALL_BASES, HEAD_DATA, TAG_DATA, records_query
from tagregistry.store.records import base_record
from tagregistry.store.schema import Base, HeadRow, TagRow, VersionCounterRow

MAX_SQLITE_MESSAGES = 20


@dataclass
class CheckReport:
    """What ``db check`` found: counts of what was verified and one line per problem."""

    where: str
    records: int = 0
    heads: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"registry": self.where, "ok": self.ok, "records": self.records,
                "heads": self.heads, "problems": self.problems}


def check_database(connection: Connection, where: str) -> CheckReport:
    """Run every check; database errors on the way are reported as problems, not raised."""
    report = CheckReport(where)
    for step in (_engine_checks, _tables, _orphan_heads, _counters, _records):
        try:
            step(connection, report)
        except (DBAPIError, sqlite3.Error) as exc:
            report.problems.append(f"database: {first_line(exc)} (during {step.__name__.strip('_')})")
            connection.rollback()
    return report


def _engine_checks(connection: Connection, report: CheckReport) -> None:
    if connection.dialect.name != "sqlite":
        return  # servers check their own pages; the record checks below still run
    messages = [row[0] for row in connection.exec_driver_sql("PRAGMA integrity_check")]
    if messages != ["ok"]:
        shown = messages[:MAX_SQLITE_MESSAGES]
        more = len(messages) - len(shown)
        report.problems += [f"sqlite integrity_check: {m}" for m in shown]
        if more:
            report.problems.append(f"sqlite integrity_check: ... and {more} more")
    for row in connection.exec_driver_sql("PRAGMA foreign_key_check"):
        report.problems.append(f"sqlite foreign_key_check: row {row[1]} of {row[0]} points to a missing {row[2]}")


def _tables(connection: Connection, report: CheckReport) -> None:
    present = set(inspect(connection).get_table_names())
    for table in sorted(set(Base.metadata.tables) - present):
        report.problems.append(f"table {table} is missing")


def _counters(connection: Connection, report: CheckReport) -> None:
    """A counter below a stored version would hand that version number out again."""
    newest = (select(TagRow.name, TagRow.base_model_id, func.max(TagRow.version).label("top"))
              .group_by(TagRow.name, TagRow.base_model_id).subquery())
    query = (select(newest.c.name, newest.c.top, VersionCounterRow.last_version)
             .outerjoin(VersionCounterRow, (VersionCounterRow.name == newest.c.name)
                        & (VersionCounterRow.base_model_id == newest.c.base_model_id))
             .where((VersionCounterRow.last_version.is_(None))
                    | (VersionCounterRow.last_version < newest.c.top)))
    for name, top, last in connection.execute(query):
        report.problems.append(f"tag_counters: {name} records last version {last} but version "
                               f"{top} exists (registering would reuse a version number)")


def _orphan_heads(connection: Connection, report: CheckReport) -> None:
    query = select(HeadRow.id, HeadRow.tag_id).where(~HeadRow.tag_id.in_(select(TagRow.id)))
    for head_id, tag_id in connection.execute(query):
        report.problems.append(f"head row {head_id}: its tag (row {tag_id}) is missing")


def _records(connection: Connection, report: CheckReport) -> None:
    bases = {row.id: base_record(row) for row in connection.execute(ALL_BASES)}
    query = records_query().order_by(TagRow.name, TagRow.base_model_id, TagRow.version)
    for row in connection.execute(query).all():
        report.records += 1
        ref = f"{row.name}@{row.version}"
        base = bases.get(row.base_model_id)
        if base is None:
            report.problems.append(f"{ref}: its base model (row {row.base_model_id}) is missing")
            continue
        where = f"{ref} ({base.model_id})"
        if row.record_sha256 != row_digest(row, base):
            report.problems.append(f"{where}: record metadata fails its checksum")
        _check_payload(connection, report, where, row, base)


def _check_payload(connection: Connection, report: CheckReport, where: str, row: Any,
                   base: BaseModelRecord) -> None:
    data = connection.scalar(TAG_DATA, {"id": row.id})
    try:
        tensors.verify(data or b"", row.sha256, f"tag {where}")
        info = tensors.tensor_info(data, f"tag {where}")
        dtype, shape = info.get(tensors.TAG_KEY, ("?", []))
        if shape != [row.n_vectors, row.dim]:
            raise IntegrityError(f"tag {where}: stored shape {shape} != recorded {[row.n_vectors, row.dim]}")
    except IntegrityError as exc:
        report.problems.append(str(exc).split(";")[0])
    if row.head_sha256 is None:
        return
    report.heads += 1
    head = connection.scalar(HEAD_DATA, {"id": row.id})
    try:
        tensors.verify(head or b"", row.head_sha256, f"head of {where}")
        tensors.tensor_info(head, f"head of {where}")
    except IntegrityError as exc:
        report.problems.append(str(exc).split(";")[0])
