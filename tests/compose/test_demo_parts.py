"""The demo's pieces without a model: two-class scores, published results, plots that fit."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest

from tagregistry.demo.plots import draw, result_png
from tagregistry.demo.published import PublishedResult, published_results
from tagregistry.demo.samples import Evaluation, EvaluationResult, class_scores, scores
from tagregistry.heads.metrics import roc_auc
from tagregistry.specs import PackSpec


def _pairwise_auc(values: list[float], positive: list[bool]) -> float:
    pairs = [(p, n) for p, n in itertools.product(
        [v for v, y in zip(values, positive, strict=True) if y],
        [v for v, y in zip(values, positive, strict=True) if not y])]
    return sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs) / len(pairs)


def test_roc_auc_is_the_chance_a_positive_outranks_a_negative():
    rng = random.Random(1)
    for _ in range(20):
        values = [round(rng.random(), 1) for _ in range(15)]  # many ties
        positive = [rng.random() < 0.4 for _ in range(15)]
        if any(positive) and not all(positive):
            assert roc_auc(values, positive) == pytest.approx(_pairwise_auc(values, positive))
    assert roc_auc([0.2] * 4, [True, False, True, False]) == 0.5  # a constant ranks nothing
    assert roc_auc([0.1, 0.9], [True, True]) != roc_auc([0.1, 0.9], [True, True])  # NaN: one class


def test_class_scores_count_the_threshold_and_the_majority_class():
    stats = class_scores([0.9, 0.6, 0.4, 0.2, 0.7], [1.0, 0.0, 0.0, 0.0, 1.0], frequency=0.3)
    assert stats["accuracy"] == pytest.approx(4 / 5)  # 0.6 is called positive, wrongly
    assert stats["roc_auc"] == 1.0
    assert stats["baseline_accuracy"] == pytest.approx(3 / 5)  # always "negative"
    assert class_scores([0.5], [1.0], 0.6)["baseline_accuracy"] == 1.0


def _result(function: str, domains: tuple[str, ...], n: int, classes: tuple[str, str] | None,
            source: str) -> EvaluationResult:
    rng = random.Random(n)
    evaluation = Evaluation("pack", function, domains, source)
    if classes:
        truth = [float(rng.random() < 0.5) for _ in range(n)]
        predicted = [min(1.0, max(0.0, t * 0.7 + rng.gauss(0.15, 0.2))) for t in truth]
        result = EvaluationResult(evaluation, [{}] * n, predicted, truth, 0.5, 1.0, classes=classes,
                                  source=source)
        result.stats = class_scores(predicted, truth, 0.5)
    else:
        truth = [rng.uniform(11, 13) for _ in range(n)]
        predicted = [t * 0.4 + 7 + rng.gauss(0, 0.2) for t in truth]
        result = EvaluationResult(evaluation, [{}] * n, predicted, truth, 11.6, 1.0, source=source)
        result.stats = scores(predicted, truth, 11.6)
    return result


@pytest.mark.parametrize("result", [
    _result("BindingAffinity", ("Protein", "SMILES"), 8, None, "bindingaffinity-kiba"),
    _result("Antimicrobial", ("Protein",), 48, ("non-AMP", "AMP"), "antimicrobial-modlamp"),
    _result("AVeryLongFunctionNameThatKeepsGoing", ("DomainNumberOne", "DomainNumberTwo", "Three"),
            5, None, "a-data-set-with-a-very-long-name-indeed"),
], ids=["scatter", "classes", "long-names"])
def test_every_title_and_label_fits_inside_the_figure(result, tmp_path: Path):
    figure = draw(result, "HuggingFaceTB/SmolLM2-135M-Instruct")
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    axes = figure.axes[0]
    texts = [axes.title, axes.xaxis.label, axes.yaxis.label, *axes.texts]
    assert all(t.get_text() for t in texts[:3])
    bounds = figure.bbox
    for text in texts:
        box = text.get_window_extent(renderer)
        assert bounds.x0 <= box.x0 and box.x1 <= bounds.x1 and bounds.y0 <= box.y0 and box.y1 <= bounds.y1, \
            f"{text.get_text()!r} leaves the figure"
    assert "SmolLM2-135M-Instruct" in axes.get_title() and "HuggingFaceTB" not in axes.get_title()
    path = result_png(result, tmp_path / "plot.png")
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_published_results_read_the_packs_file(tmp_path: Path):
    row = {"task": "qed-nci", "n": 495, "metric": "mse", "higher_is_better": False, "tag": 0.0059,
           "training_mean": 0.0286, "strongest": "MLP probe", "strongest_value": 0.0051}
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"functions": {"QED": [row]}}))
    pack = PackSpec(name="p", path=str(tmp_path), base="b", results=str(path))
    assert published_results(pack) == {"QED": [PublishedResult(**row)]}
    path.write_text('{"functions": {"QED": [{"task": "qed-nci"}]}}')  # malformed: no numbers shown
    assert published_results(pack) == {}
    assert published_results(PackSpec(name="p", path=str(tmp_path), base="b")) == {}


def test_shipped_packs_publish_every_function_they_ship():
    from tagregistry.plugins.manager import Catalog

    catalog = Catalog()
    for name in ("chem-smollm2-135m", "protein-smollm2-135m"):
        pack = catalog.packs[name]
        manifest = json.loads((Path(pack.path) / "tagpack.json").read_text())
        functions = {t["name"] for t in manifest["tags"] if t["kind"] == "function"}
        assert set(published_results(pack)) == functions
