"""Read and write row files for ``tagregistry predict``: CSV, TSV, JSONL and SDF.

The format comes from the file extension (``.csv``, ``.tsv``/``.tab``, ``.jsonl``/``.ndjson``,
``.sdf``/``.sd``); standard input (``-``) is sniffed: JSONL when the first character is
``{``, TSV when the header holds a tab, CSV otherwise. Each input row is a :class:`Row`: its
values by column, or the reason it could not be read (the run goes on without it).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TextIO

from tagregistry.errors import InputError

READ_FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl",
                ".ndjson": "jsonl", ".sdf": "sdf", ".sd": "sdf"}
WRITE_FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
SDF_SMILES_COLUMN = "smiles"
SDF_NAME_COLUMN = "name"


@dataclass
class Row:
    """One input record: ``values`` by column, or ``error`` when it could not be read."""

    number: int
    values: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class RowSource:
    """The rows of one input, with the columns known before reading them."""

    name: str
    format: str
    columns: list[str]
    rows: Iterator[Row]


def _format_of(path: str, table: dict[str, str], what: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in table:
        known = ", ".join(sorted(table))
        raise InputError(f"cannot tell the format of {what} {path!r} from its extension; "
                         f"use one of {known}")
    return table[suffix]


@contextmanager
def open_rows(path: str) -> Iterator[RowSource]:
    """Open ``path`` (``-`` for standard input) and yield its :class:`RowSource`."""
    if path == "-":
        text = sys.stdin.read()
        yield _sniffed(io.StringIO(text), text)
        return
    file_format = _format_of(path, READ_FORMATS, "input file")
    if file_format == "sdf":
        yield _sdf_rows(path)
        return
    with open(path, newline="", encoding="utf-8-sig") as handle:
        yield _text_rows(handle, path, file_format)


def _sniffed(handle: TextIO, text: str) -> RowSource:
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return _text_rows(handle, "<stdin>", "jsonl")
    header = stripped.split("\n", 1)[0]
    return _text_rows(handle, "<stdin>", "tsv" if "\t" in header else "csv")


def _text_rows(handle: TextIO, name: str, file_format: str) -> RowSource:
    if file_format == "jsonl":
        return _jsonl_rows(handle, name)
    reader = csv.reader(handle, delimiter="\t" if file_format == "tsv" else ",")
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise InputError(f"{name} is empty: the first line must name the columns")
    columns = [cell.strip() for cell in header]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise InputError(f"{name} names column(s) {', '.join(map(repr, repeated))} more than once")

    def rows() -> Iterator[Row]:
        for number, cells in enumerate(reader, start=1):
            if not cells or all(not c.strip() for c in cells):
                continue  # blank line
            row = Row(number, dict(zip(columns, cells, strict=False)))
            if len(cells) != len(columns):
                row.error = (f"line {reader.line_num} has {len(cells)} fields but the header "
                             f"names {len(columns)}")
            yield row

    return RowSource(name, file_format, columns, rows())


def _jsonl_rows(handle: TextIO, name: str) -> RowSource:
    lines = iter(handle)
    buffered: list[tuple[int, str]] = []
    columns: list[str] = []
    for line_number, line in enumerate(lines, start=1):  # columns: from the first object
        buffered.append((line_number, line))
        try:
            first = json.loads(line)
        except ValueError:
            continue
        if isinstance(first, dict):
            columns = [str(k) for k in first]
            break

    def rows() -> Iterator[Row]:
        number = 0
        rest = enumerate(lines, start=len(buffered) + 1)
        for line_number, line in itertools.chain(buffered, rest):
            if not line.strip():
                continue
            number += 1
            try:
                value = json.loads(line)
            except ValueError as exc:
                yield Row(number, error=f"line {line_number} is not valid JSON ({exc})")
                continue
            if not isinstance(value, dict):
                yield Row(number, error=f"line {line_number} is a JSON {type(value).__name__}, "
                          "not an object of column values")
                continue
            yield Row(number, {str(k): v for k, v in value.items()})

    return RowSource(name, "jsonl", columns, rows())


def _sdf_rows(path: str) -> RowSource:
    try:
        from rdkit import Chem, RDLogger
    except ImportError as exc:
        raise InputError("reading SDF files needs RDKit: pip install rdkit "
                         "(or convert the file to CSV with a SMILES column)") from exc
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such file: {path!r}")
    RDLogger.DisableLog("rdApp.*")
    supplier = Chem.SDMolSupplier(path, sanitize=True)
    columns = [SDF_NAME_COLUMN, SDF_SMILES_COLUMN]
    first = next((m for m in supplier if m is not None), None)
    if first is not None:
        columns += [p for p in first.GetPropNames() if p not in columns]
    supplier.reset()

    def rows() -> Iterator[Row]:
        for number, mol in enumerate(supplier, start=1):
            if mol is None:
                yield Row(number, error=f"molecule {number} of {Path(path).name} could not be "
                          "parsed by RDKit (see its connection table)")
                continue
            values: dict[str, Any] = {SDF_NAME_COLUMN: mol.GetProp("_Name") if mol.HasProp("_Name") else "",
                                      SDF_SMILES_COLUMN: Chem.MolToSmiles(mol)}
            values.update({p: mol.GetProp(p) for p in mol.GetPropNames()})
            yield Row(number, values)

    return RowSource(path, "sdf", columns, rows())


class RowWriter:
    """Write dict rows as CSV, TSV or JSONL, in the order they are given.

    A file is written under a temporary name and renamed when :meth:`close` succeeds, so an
    interrupted run never leaves a half-written output that looks complete.
    """

    def __init__(self, path: str | None, columns: Sequence[str]) -> None:
        self.path = path
        self.columns = list(columns)
        self.format = "csv" if path is None else _format_of(path, WRITE_FORMATS, "output file")
        self._partial: Path | None = None
        handle: IO[str]
        if path is None:
            handle = sys.stdout
        else:
            target = Path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            self._partial = target.with_name(f".{target.name}.partial")
            handle = self._partial.open("w", newline="", encoding="utf-8")
        self._handle = handle
        self._csv: Any = None
        if self.format != "jsonl":
            delimiter = "\t" if self.format == "tsv" else ","
            self._csv = csv.DictWriter(handle, self.columns, delimiter=delimiter,
                                       extrasaction="ignore", lineterminator="\n")
            self._csv.writeheader()

    def write(self, row: dict[str, Any]) -> None:
        """Write one row (columns not in the header are dropped from CSV/TSV)."""
        if self._csv is None:
            self._handle.write(json.dumps(row, default=str) + "\n")
            return
        self._csv.writerow({k: _cell(v) for k, v in row.items()})

    def close(self) -> None:
        """Flush, and move a finished output file into place."""
        self._handle.flush()
        if self._partial is not None and self.path is not None:
            self._handle.close()
            os.replace(self._partial, self.path)

    def abort(self) -> None:
        """Drop a partial output file."""
        if self._partial is not None:
            self._handle.close()
            self._partial.unlink(missing_ok=True)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | tuple | dict):
        return json.dumps(value)
    return value
