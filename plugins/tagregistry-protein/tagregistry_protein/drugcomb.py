"""Drug-combination records from a CSV file in TDC's DrugComb layout.

TDC (Therapeutics Data Commons) publishes DrugComb with the columns ``Drug1_ID``, ``Drug1``
(SMILES), ``Drug2_ID``, ``Drug2`` (SMILES), ``Cell_Line_ID``, ``CellLine`` (expression
features, unused here) and the targets ``CSS``, ``Synergy_ZIP``, ``Synergy_Bliss``,
``Synergy_Loewe``, ``Synergy_HSA``; its benchmark-group files call the target ``Y``. Export
the table to CSV (``df.to_csv(path, index=False)``) where you have the network; nothing
here downloads.

Records go to train/validation/test (80/10/10) by a hash of the unordered drug pair, so one
combination is never in two splits whatever the cell line or the drug order (TDC's
"combination" split idea). Rows whose target is empty or NaN are skipped.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from tagregistry.errors import InputError
from tagregistry_protein.splits import check_split, shuffled, split_of

REQUIRED = ("Drug1", "Drug2", "Cell_Line_ID")
TARGETS = ("CSS", "Synergy_ZIP", "Synergy_Bliss", "Synergy_Loewe", "Synergy_HSA", "Y")


def read_drugcomb(path: str | Path, target: str = "CSS") -> list[dict[str, Any]]:
    """All usable rows as ``{"drug1", "drug2", "cell_line", "label"}``, in file order."""
    file = Path(path)
    if not file.is_file():
        raise InputError(f"DrugComb file {file} does not exist")
    if target not in TARGETS:
        raise InputError(f"unknown DrugComb target {target!r}; choose one of {', '.join(TARGETS)}")
    with file.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        missing = [c for c in (*REQUIRED, target) if c not in columns]
        if missing:
            raise InputError(
                f"{file} lacks column(s) {', '.join(missing)} of TDC's DrugComb layout; "
                f"found {', '.join(columns) or 'no header'}"
            )
        records = []
        for number, row in enumerate(reader, start=2):
            raw = (row[target] or "").strip()
            if not raw:
                continue
            try:
                value = float(raw)
            except ValueError as exc:
                raise InputError(f"{file}:{number}: {target} {raw!r} is not a number") from exc
            if math.isnan(value):
                continue
            drugs = [(row[c] or "").strip() for c in ("Drug1", "Drug2")]
            cell = (row["Cell_Line_ID"] or "").strip()
            if not all(drugs) or not cell:
                raise InputError(f"{file}:{number}: empty Drug1, Drug2 or Cell_Line_ID")
            records.append({"drug1": drugs[0], "drug2": drugs[1], "cell_line": cell, "label": value})
    if not records:
        raise InputError(f"{file} holds no rows with a {target} value")
    return records


def pair_split(record: dict[str, Any]) -> str:
    """The split of a record: by its unordered drug pair."""
    return split_of("\t".join(sorted((record["drug1"], record["drug2"]))))


def _rows(path: str | None, target: str) -> list[dict[str, Any]]:
    if path is None:
        raise InputError(
            "DrugComb has no offline copy: export TDC's DrugComb table to CSV and set "
            "options: {path: drugcomb.csv} in the recipe's data section"
        )
    return read_drugcomb(path, target)


def load_drugcomb(
    split: str = "train", limit: int | None = None, seed: int = 0, path: str | None = None,
    target: str = "CSS",
) -> list[dict[str, Any]]:
    """Records ``{"drug1", "drug2", "cell_line", "label"}`` (``target``: which column)."""
    check_split(split)
    return shuffled([r for r in _rows(path, target) if pair_split(r) == split], limit, seed)


def load_cell_lines(
    split: str = "train", limit: int | None = None, seed: int = 0, path: str | None = None,
    target: str = "CSS",
) -> list[dict[str, Any]]:
    """Unlabelled records ``{"cell_line": ...}`` (stage 1 of the ``CellLine`` domain tag).

    Each distinct cell line goes to one split by a hash of its name.
    """
    check_split(split)
    names = dict.fromkeys(r["cell_line"] for r in _rows(path, target))
    chosen = [n for n in names if split_of(n) == split]
    return [{"cell_line": n} for n in shuffled(chosen, limit, seed)]
