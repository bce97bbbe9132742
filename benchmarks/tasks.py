"""Benchmark tasks, for both harnesses: which plugin dataset, which function, which tags
the baselines read through, the loader's options and how many records per split.

Records come from the plugins' dataset loaders (the splits their datasets define), so every
baseline and every Tag-LLM row sees exactly the records training saw. ``baselines.py`` runs
the chem tasks (:data:`CHEM_TASKS`), ``baselines_protein.py`` the protein ones
(:data:`PROTEIN_TASKS`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from tagregistry_protein.shipped import TRAINING_MAX_RESIDUES

from tagregistry.errors import InputError

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class Task:
    """A task: dataset, function tag, the domain tags of its slots (``domains[0]`` is the
    slot ``slot``'s), the split scored as ``test``, split sizes (None = all) and loader options."""

    name: str
    dataset: str
    function: str
    slot: str = "smiles"
    domains: tuple[str, ...] = ("SMILES",)
    test_split: str = "test"
    limits: dict[str, int | None] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def domain(self) -> str:
        """The domain tag of ``slot`` (the one value chem prompts have)."""
        return self.domains[0]

    @property
    def refs(self) -> list[str]:
        """The tags to compose by default: the domains, then the function."""
        return [*self.domains, self.function]


def _moses(name: str, dataset: str, function: str, test_split: str = "test") -> Task:
    return Task(name, dataset, function, test_split=test_split,
                limits={"train": 1000, "validation": 200, "test": 500},
                note=f"MOSES subsample: train 1,000 / validation 200 (carved from MOSES train) / "
                     f"test 500 (MOSES {test_split}), seed 0 (a budget of CPU feature extraction "
                     f"on a shared 2-core machine; raise it with --train-limit etc.)")


CHEM_TASKS: dict[str, Task] = {
    "qed-nci": Task("qed-nci", "qed-nci", "QED"),
    "logp-nci": Task("logp-nci", "logp-nci", "LogP"),
    "tpsa-nci": Task("tpsa-nci", "tpsa-nci", "TPSA"),
    "qed-moses": _moses("qed-moses", "qed-moses", "QED"),
    "logp-moses": _moses("logp-moses", "logp-moses", "LogP"),
    "tpsa-moses": _moses("tpsa-moses", "tpsa-moses", "TPSA"),
    "qed-moses-scaffolds": _moses("qed-moses-scaffolds", "qed-moses", "QED", "test_scaffolds"),
    "qed-selfies-zeroshot": Task(
        "qed-selfies-zeroshot", "qed-nci", "QED", domains=("SELFIES",),
        note="QED test molecules (NCI) written as SELFIES; <QED> trained only with <SMILES>"),
}

PROTEIN_TASKS: dict[str, Task] = {
    "binding-affinity": Task("binding-affinity", "bindingaffinity-kiba", "BindingAffinity", "protein",
                             ("Protein", "SMILES"), options={"max_residues": TRAINING_MAX_RESIDUES}),
    "antimicrobial": Task("antimicrobial", "antimicrobial-modlamp", "Antimicrobial", "protein",
                          ("Protein",)),
    "descriptor": Task("descriptor", "descriptor-blosum1", "Descriptor", "protein", ("Protein",),
                       options={"max_residues": TRAINING_MAX_RESIDUES}),
}

TASKS: dict[str, Task] = {**CHEM_TASKS, **PROTEIN_TASKS}


def get_task(name: str, limits: dict[str, int | None] | None = None) -> Task:
    """The task ``name`` with split sizes overridden by ``limits`` (non-None entries)."""
    if name not in TASKS:
        raise InputError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}")
    task = TASKS[name]
    chosen = {**task.limits, **{k: v for k, v in (limits or {}).items() if v is not None}}
    return dataclasses.replace(task, limits=chosen)


def load_split(task: Task, split: str, catalog: Any = None) -> list[dict[str, Any]]:
    """The records of ``split`` (``"test"`` means the task's test split), shuffled with seed 0."""
    from tagregistry.plugins.manager import get_catalog, load_object

    catalog = catalog or get_catalog()
    loader = load_object(catalog.get("datasets", task.dataset).loader)
    real = task.test_split if split == "test" else split
    return [dict(r) for r in loader(split=real, limit=task.limits.get(split), seed=0, **task.options)]


@dataclass
class TaskData:
    """A task's records by split, with its function spec (targets, classes)."""

    task: Task
    spec: Any
    splits: dict[str, list[dict[str, Any]]]

    @property
    def classification(self) -> bool:
        return self.spec.output == "class"

    def labels(self, split: str) -> list[float]:
        """Targets of ``split``: floats, or class indices (index in the head's labels)."""
        records = self.splits[split]
        if self.classification:
            names = list(self.spec.head.labels)
            return [float(names.index(r["label"])) for r in records]
        return [float(r["label"]) for r in records]


def load_task_data(task: Task, catalog: Any = None) -> TaskData:
    """The train, validation and test records of ``task`` and its function's spec."""
    from tagregistry.plugins.manager import get_catalog

    catalog = catalog or get_catalog()
    return TaskData(task, catalog.get("functions", task.function),
                    {split: load_split(task, split, catalog) for split in SPLITS})
