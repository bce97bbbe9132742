"""Evaluation: a tag beside its baselines on the same split (domain tags: perplexity where used).

A function tag is scored beside the training mean, nearest neighbour, and ridge and MLP probes
on the frozen base's features, fitted on the training split (:func:`evaluate`). It receives a
composed model and the plugin catalog; ``Registry.evaluate`` and ``tagregistry evaluate`` call it.
"""

from tagregistry.evaluation.baselines import BASELINES
from tagregistry.evaluation.run import EvaluationReport, evaluate

__all__ = ["BASELINES", "EvaluationReport", "evaluate"]
