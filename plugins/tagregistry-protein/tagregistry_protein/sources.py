"""The data files this plugin reads, from two PyPI distributions fetched as pinned files.

``modlamp`` (antimicrobial peptides) and ``pydebiaseddta`` (a KIBA sample) ship CSV files.
Their wheels are fetched once into the user's data cache and only those files unpacked
(:mod:`tagregistry.datafiles`); neither package is installed, so their dependencies
(TensorFlow, pandas, ...) never matter. ``tagregistry data fetch protein`` fetches both ahead
of time; otherwise the first data set that needs a file fetches it. The pins live with the
other specs in :mod:`tagregistry_protein.plugin`.
"""

from __future__ import annotations

from pathlib import Path

from tagregistry.errors import DataUnavailableError
from tagregistry_protein.plugin import (
    AMP_MEMBER,
    DATA_PACKAGES,
    KIBA_MEMBER,
    MODLAMP,
    PYDEBIASEDDTA,
)

__all__ = ["DATA_PACKAGES", "MODLAMP", "PYDEBIASEDDTA", "DataUnavailableError", "amp_csv", "kiba_csv"]


def amp_csv() -> Path:
    """modlamp's ``AMPvsUniProt.csv``: antimicrobial peptides (1) and UniProt peptides (0)."""
    from tagregistry.datafiles.cache import data_path

    return data_path(MODLAMP, AMP_MEMBER)


def kiba_csv(split: str) -> Path:
    """pydebiaseddta's KIBA sample: ``train``, ``val`` or ``test``."""
    from tagregistry.datafiles.cache import data_path

    return data_path(PYDEBIASEDDTA, KIBA_MEMBER.format(split=split))
