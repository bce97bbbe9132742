"""``evaluate``: a composed function tag beside the baselines, on the same scored records."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tagregistry.errors import InputError
from tagregistry.evaluation.baselines import BASELINES, PROBES, ProbeData
from tagregistry.evaluation.data import EvaluationData, evaluation_data
from tagregistry.evaluation.scores import (
    CLASSIFICATION_METRICS,
    REGRESSION_METRICS,
    classification_scores,
    regression_scores,
)


@dataclass
class EvaluationReport:
    """One function tag and the baselines, scored on the same records.

    ``rows`` holds one dict per method (``"method"``: ``tag`` or a baseline name, the
    metrics, ``seconds``); regression metrics are in the labels' own units. ``provenance``
    names what was measured: every composed tag (ref, sha256, recipe source), the base record
    and when (``tagregistry evaluate`` adds its command line), so results pages can be built
    from the JSON alone.
    """

    function: str
    tags: list[str]
    base: str
    task: str
    label: str
    data: dict[str, Any]
    counts: dict[str, int]
    skipped: dict[str, int]
    metrics: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (what ``tagregistry evaluate --json`` writes)."""
        return asdict(self)

    def row(self, method: str) -> dict[str, Any]:
        """The row of ``method`` (``"tag"``, ``"mean"``, ``"nn"``, ``"ridge"``, ``"mlp"``)."""
        for row in self.rows:
            if row["method"] == method:
                return row
        raise KeyError(method)


def evaluate(model: Any, catalog: Any, *, function: str | None = None, data: str | None = None,
             split: str = "test", baselines: Sequence[str] = BASELINES,
             input: str | Path | None = None, label: str | None = None,
             limit: int | Mapping[str, int] | None = None,
             batch_size: int = 16) -> EvaluationReport:
    """Score the composed ``model``'s function tag and the ``baselines`` on one set of records.

    The records come from :func:`~tagregistry.evaluation.data.evaluation_data` (the tag's
    recipe data by default). Records missing a slot value or the label are left out and
    counted in ``skipped``.
    """
    unknown = [b for b in baselines if b not in PROBES]
    if unknown:
        raise InputError(f"unknown baseline(s) {', '.join(unknown)}; choose from {', '.join(BASELINES)}")
    binding = model.binding(function)
    if binding.head is None or binding.spec.output not in ("scalar", "class"):
        raise InputError(f"evaluate scores function tags with a scalar or class head; "
                         f"{binding.record.ref} has output {binding.spec.output!r}")
    found = evaluation_data(binding.record, catalog, data=data, split=split, input=input,
                            label=label, limit=limit)
    labels = binding.head_spec.labels if binding.head_spec is not None else None
    parts, skipped = _usable(found, binding.slots, binding.spec.output, labels)
    classes = binding.head_spec.output_dim if binding.spec.output == "class" else 0
    report = EvaluationReport(
        function=binding.record.ref, tags=list(model.metadata.get("tags", [])),
        base=model.base.record.model_id, task="classification" if classes else "regression",
        label=found.scored_label, data=found.source, counts={k: len(v[0]) for k, v in parts.items()},
        skipped=skipped, metrics=list(CLASSIFICATION_METRICS if classes else REGRESSION_METRICS),
        provenance=provenance(model),
    )
    scored, truth = parts["scored"]
    started = time.perf_counter()
    rows = [{s: r[s] for s in binding.slots} for r in scored]
    if classes:
        values = model.predict_batch(rows, binding.name, batch_size=batch_size, output="probabilities")
        names = list(labels) if labels else list(range(classes))
        predicted: Any = [[row[n] for n in names] for row in values]
    else:
        predicted = [float(v) for v in model.predict_batch(rows, binding.name, batch_size=batch_size)]
    _add_row(report, "tag", predicted, truth, time.perf_counter() - started, ref=binding.record.ref)
    if baselines:
        _add_baselines(report, model, binding.name, parts, list(baselines), classes, batch_size)
    return report


def provenance(model: Any) -> dict[str, Any]:
    """The composed tags (ref, sha256, data hash, source, stored metrics), the base record and
    the time of measurement."""
    import datetime

    records = [*model.domain_records.values(), *(b.record for b in model.bindings.values())]
    tags = [{"ref": r.ref, "sha256": r.sha256, "data_hash": r.data_hash, "n_vectors": r.n_vectors,
             "source": r.source, "metrics": r.metrics} for r in records]
    measured = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    return {"tags": tags, "base": model.base.record.model_dump(mode="json"), "measured_at": measured}


def _usable(found: EvaluationData, slots: Sequence[str], output: str,
            labels: Sequence[str] | None) -> tuple[dict[str, tuple[list[Mapping[str, Any]], list[Any]]], dict[str, int]]:
    """Per part (train, validation, scored): the records with every slot value and a valid
    label, with their targets; and how many each part left out."""
    from tagregistry.training.examples import label_target

    parts: dict[str, tuple[list[Mapping[str, Any]], list[Any]]] = {}
    skipped: dict[str, int] = {}
    for name, records, label in (("train", found.train, found.label),
                                 ("validation", found.validation, found.label),
                                 ("scored", found.scored, found.scored_label)):
        kept, targets = [], []
        for index, record in enumerate(records):
            if any(not isinstance(record.get(s), str) or not record[s] for s in slots):
                continue
            try:
                target = label_target(record.get(label), output, labels, index)
            except InputError:
                continue
            kept.append(record)
            targets.append(target if output == "class" else target[0])
        if not kept:
            fields = sorted(records[0]) if records else []
            raise InputError(f"none of the {len(records)} {name} records has the slot(s) "
                             f"{', '.join(slots)} and a {label!r} label (fields: {fields}); "
                             "name the label column with --label")
        parts[name] = (kept, targets)
        skipped[name] = len(records) - len(kept)
    return parts, skipped


def _add_row(report: EvaluationReport, method: str, predicted: Any, truth: list[Any], seconds: float,
             **extra: Any) -> None:
    if report.task == "classification":
        scores = classification_scores([list(map(float, row)) for row in predicted], truth)
    else:
        scores = regression_scores([float(p) for p in predicted], [float(t) for t in truth])
    report.rows.append({"method": method, **extra, **scores,
                        "seconds": round(seconds, 3)})


def _add_baselines(report: EvaluationReport, model: Any, function: str,
                   parts: Mapping[str, tuple[list[Mapping[str, Any]], list[Any]]],
                   baselines: list[str], classes: int, batch_size: int) -> None:
    for name, (predicted, seconds) in baseline_predictions(
            model, function, parts, baselines, classes=classes, batch_size=batch_size,
            timings=report.data).items():
        _add_row(report, name, predicted, parts["scored"][1], seconds)


def baseline_predictions(model: Any, function: str,
                         parts: Mapping[str, tuple[Sequence[Mapping[str, Any]], Sequence[Any]]],
                         baselines: Sequence[str], *, classes: int = 0, batch_size: int = 16,
                         timings: dict[str, Any] | None = None) -> dict[str, tuple[list[Any], float]]:
    """Each baseline's predictions for the ``scored`` records, with the seconds its fit took.

    ``parts`` maps ``train``, ``validation`` and ``scored`` to ``(records, targets)`` (floats,
    or class indices with ``classes``); the baselines read the composed ``model``'s frozen base
    on ``function``'s prompt without tags (:func:`~tagregistry.evaluation.features.base_features`).
    ``timings`` receives ``feature_seconds``.
    """
    import torch

    from tagregistry.evaluation.features import base_features

    started = time.perf_counter()
    features = {name: base_features(model, records, function=function, batch_size=batch_size)
                for name, (records, _) in parts.items()}
    if timings is not None:
        timings["feature_seconds"] = round(time.perf_counter() - started, 3)
    dtype = torch.long if classes else torch.float64
    probe = ProbeData.standardised(
        features["train"], torch.tensor(list(parts["train"][1]), dtype=dtype), features["validation"],
        torch.tensor(list(parts["validation"][1]), dtype=dtype), features["scored"], classes)
    found = {}
    for name in baselines:
        begun = time.perf_counter()
        found[name] = (PROBES[name](probe).tolist(), time.perf_counter() - begun)
    return found
