"""Antimicrobial peptides from modlamp's ``AMPvsUniProt.csv``.

The file holds 5,200 peptides: 2,600 antimicrobial (label 1, "AMP") and 2,600 random UniProt
peptides (label 0). 4,642 sequences are distinct; a sequence listed more than once is kept
once, and the 22 sequences listed with both labels are dropped: 4,620 remain, 2,540 AMP
and 2,080 non-AMP.
"""

from __future__ import annotations

import csv
from functools import lru_cache

from tagregistry.errors import InputError
from tagregistry_protein.sources import amp_csv
from tagregistry_protein.tokenizer import ProteinTokenizer

#: class names of the ``Antimicrobial`` head, by the file's label value
AMP_LABELS: tuple[str, str] = ("non-AMP", "AMP")


@lru_cache(maxsize=1)
def amp_peptides() -> tuple[tuple[str, int], ...]:
    """``(sequence, label)`` for every unambiguous peptide, in file order."""
    path = amp_csv()
    tokenizer = ProteinTokenizer()
    labels: dict[str, set[int]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        rows = csv.reader(handle)
        next(rows, None)  # header: "5200,1,UniProt,AMP" (count, columns, class names)
        for number, row in enumerate(rows, start=2):
            if not row:
                continue
            if len(row) != 2 or row[1].strip() not in ("0", "1"):
                raise InputError(f"{path}:{number}: expected 'SEQUENCE, 0|1', got {row!r}")
            sequence = tokenizer.normalize(row[0])
            labels.setdefault(sequence, set()).add(int(row[1]))
    return tuple((s, next(iter(v))) for s, v in labels.items() if len(v) == 1)
