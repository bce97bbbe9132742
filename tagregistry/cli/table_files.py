"""Read and write row files for ``tagregistry predict``: CSV, TSV, JSONL and SDF.

The format comes from the file extension (``.csv``, ``.tsv``/``.tab``, ``.jsonl``/``.ndjson``,
``.sdf``/``.sd``); standard input (``-``) is sniffed: JSONL when the first character is
``{``, TSV when the header holds a tab, CSV otherwise. Each input row is a :class:`Row`: its
values by column, or the reason it could not be read (the run goes on without it).
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tagregistry.cli import row_text
from tagregistry.errors import InputError
from tagregistry.safe_json import parse_json

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
    """Open ``path`` (``-`` for standard input) and yield its :class:`RowSource`.

    Rows that cannot be read (a byte that is not UTF-8, an over-long field, broken JSON)
    come out as :class:`Row` objects with an ``error``; a file that is not UTF-8 text at
    all is refused with one :class:`InputError`.
    """
    file_format = "sniff" if path == "-" else _format_of(path, READ_FORMATS, "input file")
    if file_format == "sdf":
        yield _sdf_rows(path)
        return
    name = "<stdin>" if path == "-" else path
    with row_text.open_binary(path) as raw:
        if file_format == "sniff":
            file_format = _sniff(raw.read(row_text.SAMPLE_BYTES))
            raw.seek(0)
        row_text.check_text_file(raw, name, json_lines=file_format == "jsonl")
        with row_text.text_of(raw, csv_newlines=file_format != "jsonl") as handle:
            yield _text_rows(handle, name, file_format)


def _sniff(sample: bytes) -> str:
    stripped = sample.removeprefix(b"\xef\xbb\xbf").lstrip()
    if stripped.startswith(b"{"):
        return "jsonl"
    return "tsv" if b"\t" in stripped.split(b"\n", 1)[0] else "csv"


def _text_rows(handle: IO[str], name: str, file_format: str) -> RowSource:
    if file_format == "jsonl":
        return _jsonl_rows(handle, name)
    _lift_csv_field_limit()
    reader = csv.reader(handle, delimiter="\t" if file_format == "tsv" else ",")
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputError(f"{name}: cannot read the header line ({exc})") from None
    if not header or not any(cell.strip() for cell in header):
        raise InputError(f"{name} is empty: the first line must name the columns")
    columns = list(header)
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise InputError(f"{name} names column(s) {', '.join(map(repr, repeated))} more than once")

    def rows() -> Iterator[Row]:
        number = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # the record is lost; the reader goes on at the next line
                number += 1
                yield Row(number, error=f"line {reader.line_num}: not valid {file_format.upper()} ({exc})")
                continue
            if not cells or (len(cells) == 1 < len(columns) and not cells[0].strip()):
                continue  # a blank line (a row of empty cells still has its separators)
            number += 1
            row = Row(number, dict(zip(columns, cells, strict=False)))
            row.error = row_text.check_cells(row.values, f"line {reader.line_num}")
            if row.error is None and len(cells) != len(columns):
                row.error = (f"line {reader.line_num} has {len(cells)} fields but the header "
                             f"names {len(columns)}")
            yield row

    return RowSource(name, file_format, columns, rows())


def _lift_csv_field_limit() -> None:
    """csv refuses fields over 131,072 characters by raising mid-file; long cells are
    refused per row instead (:data:`row_text.MAX_CELL_CHARS`)."""
    limit = 2**31 - 1
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)


def _jsonl_rows(handle: IO[str], name: str) -> RowSource:
    columns: dict[str, None] = {}  # every key of every object, in order of first appearance
    for line in handle:
        if line.lstrip().startswith("{"):
            try:
                value = parse_json(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                columns.update(dict.fromkeys(str(k) for k in value))
    handle.seek(0)

    def rows() -> Iterator[Row]:
        number = 0
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            number += 1
            try:
                value = parse_json(line)
            except ValueError as exc:
                yield Row(number, error=f"line {line_number} is not valid JSON "
                          f"({row_text.printable(str(exc))})")
                continue
            if not isinstance(value, dict):
                yield Row(number, error=f"line {line_number} is a JSON {type(value).__name__}, "
                          "not an object of column values")
                continue
            row = Row(number, {str(k): v for k, v in value.items()})
            row.error = row_text.check_cells(row.values, f"line {line_number}")
            yield row

    return RowSource(name, "jsonl", list(columns), rows())


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
    interrupted run never leaves a half-written output that looks complete. Bytes of the
    input that are not UTF-8 are written back unchanged to a file (shown as U+FFFD on
    standard output).
    """

    def __init__(self, path: str | None, columns: Sequence[str]) -> None:
        from tagregistry.output_files import output_target, partial_path

        self.path = path
        self.columns = list(columns)
        self.format = "csv" if path is None else _format_of(path, WRITE_FORMATS, "output file")
        self._partial: Path | None = None
        self._target: Path | None = None
        handle: IO[str]
        if path is None:
            handle = sys.stdout
        else:
            self._target = output_target(path)
            self._partial = partial_path(self._target)
            handle = self._partial.open("w", newline="", encoding="utf-8", errors="surrogateescape")
        self._handle = handle
        self._text = row_text.printable if path is None else str
        self._csv: Any = None
        if self.format != "jsonl":
            delimiter = "\t" if self.format == "tsv" else ","
            self._csv = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
            # csv quotes a "\r" only when the line terminator holds one: quote such rows whole
            self._quoted = csv.writer(handle, delimiter=delimiter, lineterminator="\n",
                                      quoting=csv.QUOTE_ALL)
            self._write_cells(self.columns)

    def write(self, row: dict[str, Any]) -> None:
        """Write one row (columns not in the header are dropped from CSV/TSV)."""
        if self._csv is None:
            self._handle.write(json.dumps(row, default=str) + "\n")
            return
        self._write_cells([_cell(row.get(column)) for column in self.columns])

    def _write_cells(self, cells: list[Any]) -> None:
        cells = [self._text(c) if isinstance(c, str) else c for c in cells]
        carriage = any(isinstance(c, str) and "\r" in c for c in cells)
        (self._quoted if carriage else self._csv).writerow(cells)

    def close(self) -> None:
        """Flush, and move a finished output file into place."""
        self._handle.flush()
        if self._partial is not None and self._target is not None:
            self._handle.close()
            os.replace(self._partial, self._target)

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
