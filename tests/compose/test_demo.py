"""``tagregistry demo`` through the console script, with a non-chemistry plugin.

The plugin is an installed distribution (``dist-info`` on ``PYTHONPATH``) that ships a tag
pack for the tiny ``tiny-gpt2`` base (a regression and a two-class function), a labelled
dataset for each, and a results file for the pack: the demo finds, installs, samples and
plots them beside the published numbers without knowing the domain.
"""

from __future__ import annotations

import json
import os
import re

import pytest
import torch
from support.cli import run_cli
from support.plugin_dists import make_plugin_dist

from tagregistry.demo.samples import class_scores, scores
from tagregistry.models.loading import load_base
from tagregistry.plugins.manager import Catalog
from tagregistry.registry import Registry
from tagregistry.specs import HeadSpec
from tagregistry.store.tag_store import HeadPayload

PLUGIN = '''
from tagregistry.plugins import hookimpl
from tagregistry.specs import (BaseModelSpec, DatasetSpec, DomainSpec, FunctionSpec, HeadSpec,
                               PackSpec, SlotSpec)

WORDS = {words!r}
WORD = [SlotSpec(name="word", domains=["Word"])]


@hookimpl
def tagregistry_domains():
    return [DomainSpec(name="Word", tokenizer="plain")]


@hookimpl
def tagregistry_functions():
    return [FunctionSpec(name="Length", slots=WORD,
                         template="The word {{Word:word}} has this many letters: {{Length}}",
                         head=HeadSpec(type="regression"), dataset="word-lengths"),
            FunctionSpec(name="Long", slots=WORD, template="Is {{Word:word}} a long word? {{Long}}",
                         head=HeadSpec(type="classification", output_dim=2, labels=["short", "long"]),
                         output="class", dataset="word-long")]


@hookimpl
def tagregistry_datasets():
    return [DatasetSpec(name="word-lengths", loader="demo_words:load", domains=["Word"],
                        function="Length", demo_records=3),
            DatasetSpec(name="word-long", loader="demo_words:load_long", domains=["Word"],
                        function="Long", demo_records=4)]


@hookimpl
def tagregistry_base_models():
    return [BaseModelSpec(name="tiny-gpt2", loader="tagregistry.testing:load_tiny_gpt2",
                          model_id="tiny-gpt2")]


@hookimpl
def tagregistry_packs():
    return [PackSpec(name="words-tiny", path={pack!r}, base={pack_base!r}, results={results!r})]


def load(split, limit=None):
    part = {{"test": 0, "validation": 1}}.get(split)
    rows = [{{"word": w, "label": float(len(w))}} for i, w in enumerate(WORDS)
            if (i % 5 == part if part is not None else i % 5 > 1)]
    return rows[:limit]


def load_long(split, limit=None):
    return [{{"word": r["word"], "label": "long" if r["label"] > 5 else "short"}} for r in load(split, limit)]
'''


WORDS = ["cat", "horse", "ox", "giraffe", "emu", "lion", "anteater", "yak", "zebra", "rhinoceros",
         "bee", "hippopotamus", "gnu", "kangaroo", "owl", "crocodile", "ant", "dolphin", "pig", "eel"]
TRAIN = [w for i, w in enumerate(WORDS) if i % 5 > 1]
TEST = [w for i, w in enumerate(WORDS) if i % 5 == 0]
#: what the plugin publishes for its pack (the Results page's numbers)
RESULTS = {"functions": {
    "Length": [{"task": "word-lengths", "n": 40, "metric": "mse", "higher_is_better": False, "tag": 1.25,
                "training_mean": 6.5, "strongest": "ridge probe", "strongest_value": 0.75}],
    "Long": [{"task": "word-long", "n": 40, "metric": "roc_auc", "higher_is_better": True, "tag": 0.81,
              "training_mean": None, "strongest": "k-mer logistic regression", "strongest_value": 0.93}],
}}


def plugin_env(tmp_path, catalog, pack_base: str = "tiny-gpt2") -> dict[str, str]:
    """The plugin's env, with its pack holding random Word, Length and Long tags on tiny-gpt2."""
    base = load_base("tiny-gpt2", catalog=catalog)
    scratch = Registry(f"sqlite:///{tmp_path}/scratch.db")
    gen = torch.Generator().manual_seed(3)
    scratch.register("Word", torch.randn(2, base.hidden_size, generator=gen) * 0.02,
                     base=base.record, kind="domain")
    head = HeadPayload(spec=HeadSpec(type="regression"),
                       tensors={"linear.weight": torch.randn(1, base.hidden_size, generator=gen),
                                "linear.bias": torch.zeros(1)},
                       config={"label_mean": 5.0, "label_std": 2.0})
    scratch.register("Length", torch.randn(2, base.hidden_size, generator=gen) * 0.02,
                     base=base.record, kind="function", head=head)
    classes = HeadPayload(spec=HeadSpec(type="classification", output_dim=2, labels=["short", "long"]),
                          tensors={"linear.weight": torch.randn(2, base.hidden_size, generator=gen),
                                   "linear.bias": torch.zeros(2)})
    scratch.register("Long", torch.randn(2, base.hidden_size, generator=gen) * 0.02,
                     base=base.record, kind="function", head=classes)
    pack = scratch.save_pack(["Word", "Length", "Long"], tmp_path / "pack", name="words-tiny",
                             shipped_by="tagregistry-words")
    scratch.close()
    results = tmp_path / "words-tiny.results.json"
    results.write_text(json.dumps(RESULTS))
    site = make_plugin_dist(tmp_path / "site", "tagregistry-words", "words", "demo_words",
                            PLUGIN.format(pack=str(pack), pack_base=pack_base, words=WORDS,
                                          results=str(results)))
    return {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
            "OMP_NUM_THREADS": "1"}


def test_demo_evaluates_and_plots_a_plugins_pack(tmp_path, catalog, monkeypatch):
    words_plugin = plugin_env(tmp_path, catalog)
    db = f"sqlite:///{tmp_path}/demo.db"
    out = tmp_path / "plots"
    result = run_cli("--db", db, "demo", "--base", "tiny-gpt2", "-n", "4", "--output-dir", str(out),
                     env=words_plugin, timeout=180)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "installing the tag pack 'words-tiny' shipped by tagregistry-words" in text
    assert "base dtype: " in text  # as compose would pick it for these tags
    assert "<Word> + <Length>: 4 held-out records of word-lengths" in text
    assert "<Word> + <Long>: 4 held-out records of word-long" in text
    for function in ("Length", "Long"):
        plot = out / f"{function}.png"
        assert f"plot: {plot}" in text
        assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 5000
    # the printed scores are those of the Python API on the same held-out words
    registry = Registry(db)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    words = Catalog()  # discovers the plugin's entry point, as the subprocess did
    model = registry.compose("Word", "Length", "Long", base="tiny-gpt2", catalog=words)
    test_words = [{"word": w} for w in TEST[:4]]
    predicted = model.predict_batch(test_words, "Length")
    train_mean = sum(len(w) for w in TRAIN) / len(TRAIN)  # the whole training split
    expected = scores(predicted, [float(len(w)) for w in TEST[:4]], train_mean)
    shown = re.search(r"this sample: MSE (\S+) \(training mean: (\S+)\), Pearson r", text)
    assert shown is not None
    assert float(shown.group(1)) == pytest.approx(expected["mse"], rel=1e-3)
    assert float(shown.group(2)) == pytest.approx(expected["baseline_mse"], rel=1e-3)
    probabilities = model.predict_batch(test_words, "Long", output="probabilities")
    long_share = sum(len(w) > 5 for w in TRAIN) / len(TRAIN)
    classes = class_scores([p["long"] for p in probabilities], [float(len(w) > 5) for w in TEST[:4]],
                           long_share)
    shown = re.search(r"this sample: ROC-AUC (\S+) \(constant: 0.5\), accuracy (\S+) "
                      r"\(majority class: (\S+)\)", text)
    assert shown is not None
    assert float(shown.group(1)) == pytest.approx(classes["roc_auc"], rel=1e-3)
    assert float(shown.group(2)) == pytest.approx(classes["accuracy"], rel=1e-3)
    assert float(shown.group(3)) == pytest.approx(classes["baseline_accuracy"], rel=1e-3)
    # beside each sample, what the plugin's results file says of the whole test split
    assert ("Results page, word-lengths test split (40 records): MSE 1.25 (strongest baseline: "
            "ridge probe 0.75, training mean 6.5)") in text
    assert ("Results page, word-long test split (40 records): ROC-AUC 0.81 (strongest baseline: "
            "k-mer logistic regression 0.93)") in text
    summary = text[text.index("On the sample:"):].splitlines()
    assert re.match(r"<Length>\s+4\s+MSE\s+\S+\s+\S+\s+1.25\s+0.75 ridge probe\s+Length.png", summary[2])
    assert re.match(r"<Long>\s+4\s+ROC-AUC\s+\S+\s+0.5\s+0.81\s+0.93 k-mer logistic regression",
                    summary[3])
    assert re.match(r"<Long>\s+4\s+accuracy\s+\S+\s+\S+\s+-\s+-\s+Long.png", summary[4])
    registry.close()
    again = run_cli("--db", db, "demo", "--base", "tiny-gpt2", "--no-plots",
                    env=words_plugin, timeout=180)
    assert again.returncode == 0 and "plot:" not in again.stdout
    # without -n, the dataset specs' demo_records (3 and 4) say how many records are sampled
    assert "<Word> + <Length>: 3 held-out records" in again.stdout
    assert "<Word> + <Long>: 4 held-out records" in again.stdout
    assert len(Registry(db).list(all_versions=True)) == 3  # installing twice adds nothing


def test_demo_without_a_pack_for_the_base_says_what_to_do(tmp_path, catalog):
    env = plugin_env(tmp_path, catalog, pack_base="some-other-base")
    result = run_cli("--db", f"sqlite:///{tmp_path}/d.db", "demo", "--base", "tiny-gpt2",
                     env=env, timeout=180)
    assert result.returncode == 1
    assert "no installed plugin ships a tag pack for tiny-gpt2" in result.stdout


def test_compose_names_the_shipped_pack_that_holds_a_missing_tag(tmp_path, catalog, monkeypatch):
    from tagregistry.errors import NotFoundError

    plugin_env(tmp_path, catalog)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    words = Catalog()
    registry = Registry(f"sqlite:///{tmp_path}/fresh.db")
    with pytest.raises(NotFoundError, match=r"no tag named 'Length'.*plugin tagregistry-words ships "
                       r"it for this base in the tag pack 'words-tiny': Registry\(\)\.install_pack"):
        registry.compose("Length", base="tiny-gpt2", catalog=words)
    with pytest.raises(NotFoundError) as caught:  # a tag no pack holds: no install hint
        registry.compose("Width", base="tiny-gpt2", catalog=words)
    assert "install_pack" not in str(caught.value)
    registry.close()
