"""Benchmark tasks: which plugin dataset, which function, and how many molecules per split.

Records come from the chem plugin's dataset loaders (the splits its datasets define), so
every baseline and every Tag-LLM row sees exactly the same molecules.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from tagregistry.errors import InputError


@dataclass(frozen=True)
class Task:
    """A regression task: dataset, function tag, input slot and split sizes (None = all)."""

    name: str
    dataset: str
    function: str
    slot: str = "smiles"
    domain: str = "SMILES"
    test_split: str = "test"
    limits: dict[str, int | None] = field(default_factory=dict)
    note: str = ""


def _moses(name: str, dataset: str, function: str, test_split: str = "test") -> Task:
    return Task(name, dataset, function, test_split=test_split,
                limits={"train": 1000, "validation": 200, "test": 500},
                note=f"MOSES subsample: train 1,000 / validation 200 (carved from MOSES train) / "
                     f"test 500 (MOSES {test_split}), seed 0 (a budget of CPU feature extraction "
                     f"on a shared 2-core machine; raise it with --train-limit etc.)")


TASKS: dict[str, Task] = {
    "qed-nci": Task("qed-nci", "qed-nci", "QED"),
    "logp-nci": Task("logp-nci", "logp-nci", "LogP"),
    "tpsa-nci": Task("tpsa-nci", "tpsa-nci", "TPSA"),
    "qed-moses": _moses("qed-moses", "qed-moses", "QED"),
    "logp-moses": _moses("logp-moses", "logp-moses", "LogP"),
    "tpsa-moses": _moses("tpsa-moses", "tpsa-moses", "TPSA"),
    "qed-moses-scaffolds": _moses("qed-moses-scaffolds", "qed-moses", "QED", "test_scaffolds"),
    "qed-selfies-zeroshot": Task(
        "qed-selfies-zeroshot", "qed-nci", "QED", domain="SELFIES",
        note="QED test molecules (NCI) written as SELFIES; <QED> trained only with <SMILES>"),
}


def get_task(name: str, limits: dict[str, int | None] | None = None) -> Task:
    """The task ``name`` with split sizes overridden by ``limits`` (non-None entries)."""
    if name not in TASKS:
        raise InputError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}")
    task = TASKS[name]
    chosen = {**task.limits, **{k: v for k, v in (limits or {}).items() if v is not None}}
    return Task(task.name, task.dataset, task.function, task.slot, task.domain, task.test_split,
                chosen, task.note)


def load_split(task: Task, split: str, catalog: Any = None) -> list[dict[str, Any]]:
    """``{"smiles", "label"}`` records of ``split`` (``"test"`` means the task's test split)."""
    from tagregistry.plugins.manager import get_catalog, load_object

    catalog = catalog or get_catalog()
    spec = catalog.get("datasets", task.dataset)
    loader = load_object(spec.loader)
    real = task.test_split if split == "test" else split
    return [dict(r) for r in loader(split=real, limit=task.limits.get(split), seed=0)]


def records_hash(records: list[dict[str, Any]]) -> str:
    """sha256 of the records' canonical JSON (identifies the exact data)."""
    digest = hashlib.sha256()
    for record in records:
        digest.update(json.dumps(record, sort_keys=True).encode())
        digest.update(b"\n")
    return digest.hexdigest()
