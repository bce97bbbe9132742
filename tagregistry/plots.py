"""Predicted-vs-true scatter plots as PNG files (matplotlib's Agg canvas, no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tagregistry.evaluations import EvaluationResult


def scatter_png(result: EvaluationResult, path: str | Path, base: str = "") -> Path:
    """Write ``result``'s predicted-vs-true scatter (with the y = x line) to ``path``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    truth, predicted = result.truth, result.predicted
    low = min(min(truth), min(predicted))
    high = max(max(truth), max(predicted))
    pad = (high - low) * 0.05 or 1.0
    figure = Figure(figsize=(5, 5), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot([low - pad, high + pad], [low - pad, high + pad], color="0.6", lw=1, label="y = x")
    axes.axhline(result.baseline, color="tab:orange", lw=1, ls="--", label="training mean")
    axes.scatter(truth, predicted, s=16, alpha=0.75, color="tab:blue",
                 label=f"{len(truth)} held-out records")
    axes.set_xlim(low - pad, high + pad)
    axes.set_ylim(low - pad, high + pad)
    axes.set_aspect("equal")
    function = result.evaluation.function
    axes.set_xlabel(f"true {function} ({result.evaluation.dataset})")
    axes.set_ylabel(f"predicted {function}")
    stats = result.stats
    axes.set_title(f"{result.label}" + (f" on {base}" if base else ""), fontsize=10)
    axes.text(0.03, 0.97, f"MSE {stats['mse']:.4g} (mean: {stats['baseline_mse']:.4g})\n"
              f"Pearson r {stats['pearson']:.3f}", transform=axes.transAxes, va="top", fontsize=9)
    axes.legend(loc="lower right", fontsize=8)
    figure.savefig(target)
    return target
