"""The protein tasks' splits, exactly as the plugin's data sets give them to training."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tagregistry_protein.shipped import TRAINING_MAX_RESIDUES

#: task name on the command line -> (function, dataset loader options)
TASKS: dict[str, tuple[str, dict[str, Any]]] = {
    "binding-affinity": ("BindingAffinity", {"max_residues": TRAINING_MAX_RESIDUES}),
    "antimicrobial": ("Antimicrobial", {}),
    "descriptor": ("Descriptor", {"max_residues": TRAINING_MAX_RESIDUES}),
}


@dataclass
class Task:
    """One task's records by split, its function spec and whether it is classification."""

    name: str
    function: str
    spec: Any
    options: dict[str, Any]
    splits: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def classification(self) -> bool:
        return self.spec.output == "class"

    def labels(self, split: str) -> list[float]:
        """Targets of ``split``: floats, or 0/1 class indices (index in the head's labels)."""
        records = self.splits[split]
        if self.classification:
            names = list(self.spec.head.labels)
            return [float(names.index(r["label"])) for r in records]
        return [float(r["label"]) for r in records]


def load_task(name: str) -> Task:
    """The train/validation/test records of task ``name`` through the plugin's loader."""
    from tagregistry.plugins.manager import get_catalog, load_object

    if name not in TASKS:
        raise SystemExit(f"unknown task {name!r}; choose from {', '.join(TASKS)}")
    function, options = TASKS[name]
    catalog = get_catalog()
    spec = catalog.get("functions", function)
    loader = load_object(catalog.get("datasets", spec.dataset).loader)
    task = Task(name=name, function=function, spec=spec, options=options)
    for split in ("train", "validation", "test"):
        task.splits[split] = loader(split=split, **options)
    return task
