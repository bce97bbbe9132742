"""Results-page numbers a plugin publishes beside a tag pack (``PackSpec.results``).

The file is JSON written by the project's ``benchmarks/make_results_page.py`` from the same
result files as the Results page, so ``tagregistry demo`` can show each function's sample
beside what the whole test split gave the shipped tag and its strongest baseline::

    {"functions": {"QED": [{"task": "qed-nci", "n": 495, "metric": "mse",
                            "higher_is_better": false, "tag": 0.0059, "training_mean": 0.0286,
                            "strongest": "MLP probe", "strongest_value": 0.0051}, ...]}}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tagregistry.specs import PackSpec


@dataclass(frozen=True)
class PublishedResult:
    """One test-split metric of a shipped function tag and of its strongest baseline."""

    task: str
    n: int
    metric: str
    higher_is_better: bool
    tag: float
    training_mean: float | None
    strongest: str
    strongest_value: float


def published_results(pack: PackSpec) -> dict[str, list[PublishedResult]]:
    """``{function: [results]}`` from ``pack.results`` (empty without a readable file)."""
    if not pack.results:
        return {}
    try:
        document = json.loads(Path(pack.results).read_text(encoding="utf-8"))
        return {function: [PublishedResult(**row) for row in rows]
                for function, rows in document["functions"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}  # a missing or malformed file costs the demo its reference column only
