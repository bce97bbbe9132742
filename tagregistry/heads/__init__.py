"""Function-tag heads in one place: their settings (:mod:`~tagregistry.heads.config`), the
built-in modules (:mod:`~tagregistry.heads.modules`), label scaling, building a head from a
catalog head type and turning its outputs into values (:mod:`~tagregistry.heads.outputs`), and
the fits that replace a trained head: ridge, logistic and MLP (one implementation each, shared
by training, ``tagregistry evaluate`` and the benchmarks), with the metrics they are scored by.

This package sits below compose, training and evaluation: it imports only the store, models,
plugins and specs layers. The built-in head types are named ``tagregistry.heads:RegressionHead``
and ``tagregistry.heads:ClassificationHead`` in the plugin catalogue, so those stay importable
from here.
"""

from tagregistry.heads.modules import ClassificationHead, LinearHead, RegressionHead
from tagregistry.heads.scaling import (
    LABEL_MEAN,
    LABEL_STD,
    fit_label_scaling,
    scale_labels,
    unscale,
)

__all__ = [
    "LABEL_MEAN", "LABEL_STD", "ClassificationHead", "LinearHead", "RegressionHead",
    "fit_label_scaling", "scale_labels", "unscale",
]
