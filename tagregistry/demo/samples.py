"""Held-out samples of the function tags that plugins ship in tag packs (``tagregistry demo``).

Plugins contribute the pieces (no chemistry here): a :class:`~tagregistry.specs.PackSpec`
for a named base, and for each function tag in it a ``FunctionSpec`` with a regression or
two-class head and a ``dataset``. :func:`discover` turns those into :class:`Evaluation` s;
:func:`run` predicts the first records of the held-out split, reproducing the data, split and
seed of the recipe recorded on the tag, and compares them with the labels and with
predicting the training mean (two classes: the training frequency of the positive class).
Scoring whole test splits against fitted baselines is ``tagregistry evaluate``'s job.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tagregistry.errors import InputError

if TYPE_CHECKING:
    from tagregistry.models.loading import LoadedBase
    from tagregistry.plugins.manager import Catalog
    from tagregistry.registry import Registry
    from tagregistry.specs import TagRecord


@dataclass(frozen=True)
class Evaluation:
    """One function tag of a shipped pack, with the domain tags that fill its slots."""

    pack: str
    function: str
    domains: tuple[str, ...]
    dataset: str


@dataclass
class EvaluationResult:
    """Predictions next to the labels for one :class:`Evaluation`."""

    evaluation: Evaluation
    records: list[dict[str, Any]]
    #: regression: predicted values; two classes: the predicted probability of ``classes[1]``
    predicted: list[float]
    #: regression: the labels; two classes: 1.0 where the label is ``classes[1]``, else 0.0
    truth: list[float]
    #: the training mean (two classes: the training frequency of ``classes[1]``)
    baseline: float
    seconds: float
    stats: dict[str, float] = field(default_factory=dict)
    #: two-class heads: ``(negative, positive)`` class names; regression: ``None``
    classes: tuple[str, str] | None = None
    #: the data set the records come from (the tag's recipe data, else the function's)
    source: str = ""

    @property
    def classification(self) -> bool:
        """Whether the function's head classifies (stats: accuracy, ROC-AUC)."""
        return self.classes is not None

    @property
    def label(self) -> str:
        """``<SMILES> + <QED>``."""
        return " + ".join(f"<{n}>" for n in (*self.evaluation.domains, self.evaluation.function))


def discover(catalog: Catalog, base_name: str, functions: Sequence[str] | None = None) -> list[Evaluation]:
    """Evaluations of every scalar or two-class function tag in the packs shipped for ``base_name``.

    A function's slots are filled by the domain tags of any of those packs (all of them are
    installed), the function's own listed domains first.
    """
    from tagregistry.compose.slots import assign_slots
    from tagregistry.hub.manifest import read_manifest
    from tagregistry.plugins.function_specs import function_spec_for

    packs = sorted((p for p in catalog.packs.values() if p.base == base_name), key=lambda p: p.name)
    manifests = {p.name: read_manifest(p.path) for p in packs}
    # every pack for the base is installed, so a slot may take a domain tag from another pack
    domains = {t.name: None for m in manifests.values() for t in m.tags if t.kind == "domain"}
    found: list[Evaluation] = []
    for pack_name, manifest in manifests.items():
        for tag in manifest.tags:
            if tag.kind != "function":
                continue
            # a plugin's function, else the one the tag's recipe defined (stored in the pack)
            spec = function_spec_for(tag.name, tag.ref, tag.source, catalog)
            if spec is None or functions and tag.name not in functions:
                continue
            two_classes = spec.output == "class" and spec.head is not None and spec.head.output_dim == 2
            if not (spec.output == "scalar" or two_classes) or spec.dataset not in catalog.datasets:
                continue
            try:
                slots = assign_slots(spec, domains, catalog, {})
            except InputError:
                continue  # no shipped domain tag fills one of its slots
            found.append(Evaluation(pack_name, tag.name, tuple(dict.fromkeys(slots.values())),
                                    spec.dataset))
    return found


def held_out(record: TagRecord, dataset: str, n: int,
             catalog: Catalog) -> tuple[list[dict], list[dict], str, str]:
    """``(train, test[:n], label field, data set)`` as the tag's recorded recipe split them."""
    from tagregistry.training.data import load_splits
    from tagregistry.training.recipe import DataSource, SplitConfig

    recipe = record.source.get("recipe") if isinstance(record.source.get("recipe"), dict) else {}
    data = dict(recipe.get("data") or {"dataset": dataset})
    if data.get("file") or data.get("files"):
        data = {"dataset": dataset}  # local files of the publisher: use the plugin's dataset
    source = DataSource(**{**data, "limit": None})  # the whole training split: its mean
    split = SplitConfig(**(recipe.get("split") or {}))
    splits = load_splits(source, split, int(recipe.get("seed", 0)), catalog)
    return splits.train, splits.test[:n], source.label_field, source.dataset or dataset


def run(registry: Registry, loaded: LoadedBase, evaluation: Evaluation, n: int,
        batch_size: int = 16) -> EvaluationResult:
    """Predict the first ``n`` held-out records of ``evaluation`` and score them."""
    model = registry.compose(*evaluation.domains, evaluation.function, base=loaded)
    binding = model.binding(evaluation.function)
    train, test, label, source = held_out(binding.record, evaluation.dataset, n, registry.catalog)
    if not test:
        raise InputError(f"dataset {evaluation.dataset!r} gave no held-out records")
    records = [{slot: r[slot] for slot in binding.slots} for r in test]
    head = binding.spec.head
    classes, keys = None, []
    if binding.spec.output == "class" and head is not None:
        keys = list(head.labels or [0, 1])  # the probabilities' keys (unnamed classes: numbers)
        classes = (str(keys[0]), str(keys[1]))
    started = time.perf_counter()
    values = model.predict_batch(records, evaluation.function, batch_size=batch_size,
                                 output="probabilities" if classes else "value")
    seconds = time.perf_counter() - started
    if classes is not None:
        predicted = [float(v[keys[1]]) for v in values]
        truth = [float(str(r[label]) == classes[1]) for r in test]
        baseline = sum(str(r[label]) == classes[1] for r in train) / len(train)
    else:
        predicted = [float(v[0] if isinstance(v, list | tuple) else v) for v in values]
        truth = [float(r[label]) for r in test]
        baseline = sum(float(r[label]) for r in train) / len(train)
    result = EvaluationResult(evaluation, records, predicted, truth, baseline, seconds,
                              classes=classes, source=source)
    result.stats = class_scores(predicted, truth, baseline) if classes else scores(predicted, truth, baseline)
    return result


def scores(predicted: Sequence[float], truth: Sequence[float], baseline: float) -> dict[str, float]:
    """MSE, the MSE of always predicting ``baseline``, and Pearson's r."""
    from tagregistry.heads.metrics import mse, pearson

    return {"mse": mse(predicted, truth), "baseline_mse": mse([baseline] * len(truth), truth),
            "pearson": pearson(predicted, truth, undefined=float("nan"))}


def class_scores(probability: Sequence[float], positive: Sequence[float], frequency: float) -> dict[str, float]:
    """Accuracy, ROC-AUC, and the accuracy of always predicting the training majority class.

    ``probability``: of the positive class per record; ``positive``: 1.0 / 0.0 per record;
    ``frequency``: the positive class's share of the training split.
    """
    from tagregistry.heads.metrics import roc_auc

    n = len(positive)
    hits = sum((p > 0.5) == (t > 0.5) for p, t in zip(probability, positive, strict=True))
    majority = 1.0 if frequency > 0.5 else 0.0
    return {"accuracy": hits / n, "roc_auc": roc_auc(probability, [t > 0.5 for t in positive]),
            "baseline_accuracy": sum(t == majority for t in positive) / n}
