"""RDKit labels computed once per data set and kept on disk.

A cache file is named by the label function, its version, the RDKit version and a sha256 of
the exact SMILES list, so a changed selection, function or RDKit gets new labels and an
unchanged one is read back without touching RDKit. The folder is
``$TAGREGISTRY_DATA_CACHE`` or ``$TAGREGISTRY_HOME/cache/labels``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tagregistry.models.cache import read_json, write_json_atomic

DATA_CACHE_ENV = "TAGREGISTRY_DATA_CACHE"


def label_cache_dir() -> Path:
    """Where cached label files live."""
    env = os.environ.get(DATA_CACHE_ENV)
    if env:
        return Path(env).expanduser()
    from tagregistry.store.engine import registry_home

    return registry_home() / "cache" / "labels"


def label_key(name: str, version: int, smiles: Sequence[str]) -> str:
    """sha256 of the label function, its version, the RDKit version and the SMILES list."""
    import rdkit

    digest = hashlib.sha256(f"{name}:v{version}:rdkit-{rdkit.__version__}\n".encode())
    for text in smiles:
        digest.update(text.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def cached_labels(
    name: str, version: int, descriptor: Callable[[Any], float], smiles: Sequence[str],
    *, what: str = "molecules",
) -> list[float | None]:
    """``descriptor(mol)`` for every SMILES (``None`` where RDKit cannot parse it).

    The first call computes the labels with a progress bar and writes them to the cache;
    later calls with the same list, function version and RDKit read them back.
    """
    from tagregistry_chem.validation import try_parse

    key = label_key(name, version, smiles)
    path = label_cache_dir() / f"{name}-{key[:24]}.json"
    stored = read_json(path)
    labels = stored.get("labels")
    if stored.get("key") == key and isinstance(labels, list) and len(labels) == len(smiles):
        return labels
    from tqdm.auto import tqdm

    labels = []
    for text in tqdm(smiles, desc=f"Labelling {len(smiles)} {what} with {name} (once)",
                     unit="mol", mininterval=1.0):
        mol = try_parse(text)
        labels.append(None if mol is None else float(descriptor(mol)))
    try:
        write_json_atomic(path, {"key": key, "function": name, "version": version,
                                 "count": len(labels), "labels": labels})
    except OSError:
        pass  # a read-only cache only costs recomputing next time
    return labels
