"""PNG plots of a held-out sample (matplotlib's Agg canvas, no display needed).

Regression: predicted against true values with the y = x line and the training mean.
Two classes: the predicted probability of the positive class, one histogram per true class.
Titles name the tags on the first line and the base and sample on the second; a title or
axis label too long for the figure is shortened (with "…") until it fits.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tagregistry.demo.samples import EvaluationResult


def _fits(text: Any, renderer: Any, bounds: Any) -> bool:
    box = text.get_window_extent(renderer)
    return bounds.x0 <= box.x0 and box.x1 <= bounds.x1 and bounds.y0 <= box.y0 and box.y1 <= bounds.y1


def fit_texts(figure: Any) -> Any:
    """Shorten the longest line of each title and axis label that leaves ``figure`` (with "…")."""
    axes = figure.axes[0]
    for _ in range(40):  # each round lays the figure out again and trims what still sticks out
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()
        outside = [t for t in (axes.title, axes.xaxis.label, axes.yaxis.label)
                   if not _fits(t, renderer, figure.bbox)]
        if not outside:
            break
        for text in outside:
            lines = text.get_text().split("\n")
            longest = max(range(len(lines)), key=lambda i: len(lines[i]))
            lines[longest] = lines[longest].removesuffix("…")[:-3] + "…"
            text.set_text("\n".join(lines))
    return figure


def _figure() -> tuple[Any, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5, 5), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _title(axes: Any, result: EvaluationResult, base: str) -> None:
    sample = f"{len(result.truth)} held-out records"
    second = f"{base.rsplit('/', 1)[-1]}, {sample}" if base else sample
    axes.set_title(f"{result.label}\n{second}", fontsize=10)


def result_png(result: EvaluationResult, path: str | Path, base: str = "") -> Path:
    """Write ``result``'s plot (scatter or class histograms) to ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    draw(result, base).savefig(target)
    return target


def draw(result: EvaluationResult, base: str = "") -> Any:
    """``result``'s figure: class histograms for two classes, else a scatter."""
    return fit_texts((class_figure if result.classification else scatter_figure)(result, base))


def scatter_figure(result: EvaluationResult, base: str = "") -> Any:
    """Predicted against true values, with the y = x line and the training mean."""
    truth, predicted = result.truth, result.predicted
    low = min(min(truth), min(predicted), result.baseline)
    high = max(max(truth), max(predicted), result.baseline)
    pad = (high - low) * 0.05 or 1.0
    figure, axes = _figure()
    axes.plot([low - pad, high + pad], [low - pad, high + pad], color="0.6", lw=1, label="y = x")
    axes.axhline(result.baseline, color="tab:orange", lw=1, ls="--", label="training mean")
    axes.scatter(truth, predicted, s=16, alpha=0.75, color="tab:blue", label="held-out records")
    axes.set_xlim(low - pad, high + pad)
    axes.set_ylim(low - pad, high + pad)
    axes.set_aspect("equal")
    function = result.evaluation.function
    axes.set_xlabel(f"true {function} ({result.source})")
    axes.set_ylabel(f"predicted {function}")
    _title(axes, result, base)
    stats = result.stats
    axes.text(0.03, 0.97, f"MSE {stats['mse']:.4g} (training mean: {stats['baseline_mse']:.4g})\n"
              f"Pearson r {stats['pearson']:.3f}", transform=axes.transAxes, va="top", fontsize=9)
    axes.legend(loc="lower right", fontsize=8)
    return figure


def class_figure(result: EvaluationResult, base: str = "") -> Any:
    """Histograms of the positive class's predicted probability, one per true class."""
    assert result.classes is not None
    negative, positive = result.classes
    figure, axes = _figure()
    bins = [i / 20 for i in range(21)]
    for name, wanted, color in ((negative, 0.0, "tab:orange"), (positive, 1.0, "tab:blue")):
        values = [p for p, t in zip(result.predicted, result.truth, strict=True) if t == wanted]
        axes.hist(values, bins=bins, alpha=0.6, color=color, label=f"true {name} ({len(values)})")
    axes.axvline(0.5, color="0.4", lw=1, ls="--", label="decision threshold")
    axes.set_xlim(0, 1)
    axes.set_xlabel(f"predicted P({positive}) ({result.source})")
    axes.set_ylabel("held-out records")
    _title(axes, result, base)
    stats = result.stats
    axes.text(0.03, 0.97, f"accuracy {stats['accuracy']:.3f} (majority class: "
              f"{stats['baseline_accuracy']:.3f})\nROC-AUC {stats['roc_auc']:.3f}",
              transform=axes.transAxes, va="top", fontsize=9,
              bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"})
    axes.set_ylim(0, axes.get_ylim()[1] * 1.25)  # room for the text above the bars
    axes.legend(loc="best", fontsize=8)
    return figure
