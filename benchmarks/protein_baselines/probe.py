"""Ridge probe on the frozen base, read through the product's evaluation features.

The features are those ``tagregistry evaluate`` gives its baselines
(:func:`tagregistry.evaluation.features.base_features`): the frozen base's hidden states on
the function's prompt without tags (the template's text and the slot values rendered by
their domain tokenizers, cut where the function tag would start), mean over the values'
tokens at six evenly spaced layers, concatenated and standardised on train. The probe is the
product's ``ridge`` baseline (:func:`tagregistry.evaluation.run.baseline_predictions`):
ridge regression with its strength chosen on validation; classification: L2 logistic
regression, ranked by the probability of the head's second label. The prompt comes from the
composed tags' bindings (template, slot domains), so the task's tags must be registered;
their vectors are not read.
"""

from __future__ import annotations

from typing import Any

from benchmarks.tasks import TaskData

#: the product's parts (train, validation, scored) and the task's split each comes from
PARTS = {"train": "train", "validation": "validation", "scored": "test"}


def ridge_probe(data: TaskData, model: Any, batch_size: int = 8) -> tuple[list[float], dict[str, Any]]:
    """Test predictions of the product's ridge baseline on the composed ``model``'s frozen
    base (floats; classification: the probability of class 1) and a note on the readout."""
    from tagregistry.evaluation.features import feature_layers
    from tagregistry.evaluation.run import baseline_predictions

    classes = len(data.spec.head.labels) if data.classification else 0
    target = int if classes else float
    parts = {part: (data.splits[split], [target(y) for y in data.labels(split)])
             for part, split in PARTS.items()}
    timings: dict[str, Any] = {}
    found = baseline_predictions(model, data.task.function, parts, ["ridge"], classes=classes,
                                 batch_size=batch_size, timings=timings)
    predicted, _ = found["ridge"]
    if classes:
        predicted = [row[1] for row in predicted]
    layers = feature_layers(int(model.base.model.config.num_hidden_layers))
    fit = "L2 logistic regression" if classes else "ridge regression"
    return predicted, {"readout": f"product features: mean over the value tokens at layers "
                                  f"{', '.join(map(str, layers))}; {fit}, strength chosen on validation "
                                  f"(features {timings['feature_seconds']:.0f} s)"}
