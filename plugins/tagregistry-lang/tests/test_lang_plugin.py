"""The plugin as users meet it: discovery, the Translate function composed zero-shot, generation
and ``tagregistry predict`` on a TSV file (a tiny random Gemma 3 saved to a folder as the base)."""

from __future__ import annotations

import csv
import subprocess
import sys
from importlib.metadata import distribution

import pytest
import torch

from tagregistry.cli.main import main
from tagregistry.models.loading import load_base
from tagregistry.plugins.manager import Catalog, load_object
from tagregistry.testing import tiny_model, tiny_tokenizer
from tagregistry_lang.languages import LANGUAGES

SENTENCES = ["Abra el archivo.", "Guarde el documento como PDF.", "Elija Herramientas."]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog()


def test_registered_through_the_tagregistry_group(catalog):
    eps = [(ep.group, ep.name, ep.value) for ep in distribution("tagregistry-lang").entry_points]
    assert eps == [("tagregistry", "lang", "tagregistry_lang.plugin")]
    info = catalog.plugins["lang"]
    assert info.error is None
    assert [d for d in catalog.domains if catalog.domains[d].family == "language"] == list(LANGUAGES)
    spec = catalog.functions["Translate"]
    assert spec.output == "text" and spec.head is None and spec.stop == ["\n"]
    assert spec.value_slots == ["text"] and spec.tag_only_slots == ["target"]
    assert "gemma-3-270m" in catalog.base_models


def test_every_import_path_resolves(catalog):
    owned = [s for s in catalog.datasets.values() if catalog.owner("datasets", s.name).name == "lang"]
    assert len(owned) == 10
    for spec in owned:
        assert callable(load_object(spec.loader))
    assert callable(load_object(catalog.base_models["gemma-3-270m"].loader))


def test_listing_plugins_imports_nothing_heavy():
    code = ("import sys; from tagregistry.plugins.manager import Catalog; Catalog(); "
            "print(sorted(m for m in ('torch', 'transformers', 'sacrebleu') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.fixture
def tiny_gemma(tmp_path, registry):
    """A random 2-layer Gemma 3 saved as a model folder, with random tags for every language
    and Translate registered on it (Translate recorded as trained on EN, FR and DE)."""
    folder = tmp_path / "tiny-gemma3"
    tiny_model("gemma3").save_pretrained(folder)
    tiny_tokenizer().save_pretrained(folder)
    base = load_base(str(folder))
    generator = torch.Generator().manual_seed(0)
    scale = float(base.model.get_input_embeddings().weight.std())
    for name in [*LANGUAGES, "Translate"]:
        source = {"base_name": str(folder)}
        if name == "Translate":
            source["domains"] = ["EN", "FR", "DE"]
        registry.register(name, torch.randn(3, base.hidden_size, generator=generator) * scale,
                          base=base.record, kind="function" if name == "Translate" else "domain",
                          source=source)
    return folder


def test_compose_es_pt_translate_zero_shot_on_the_trained_base(registry, tiny_gemma):
    model = registry.compose("ES", "PT", "Translate")  # the base comes from the records
    assert model.base.name == str(tiny_gemma)
    assert model.metadata["functions"]["Translate"]["slots"] == {"text": "ES", "target": "PT"}
    assert model.metadata["functions"]["Translate"]["zero_shot_slots"] == ["text", "target"]
    assert model.prompt_text(text="Hola").endswith("Output:<PT><Translate>")
    batch = model.generate_batch([{"text": s} for s in SENTENCES], max_new_tokens=8)
    assert batch == [model.generate(text=s, max_new_tokens=8) for s in SENTENCES]
    assert all("\n" not in text for text in batch)
    assert model.predict(text=SENTENCES[0]) == model.generate(text=SENTENCES[0])
    assert registry.compose("EN", "FR", "Translate").binding().zero_shot_slots == []


def test_predict_writes_one_translation_per_row_with_per_row_errors(registry, tiny_gemma,
                                                                   tmp_path, capsys):
    source = tmp_path / "rows.tsv"
    rows = [("1", SENTENCES[0]), ("2", ""), ("3", "x" * 5000), ("4", SENTENCES[1])]
    source.write_text("id\ttext\n" + "".join(f"{i}\t{t}\n" for i, t in rows), encoding="utf-8")
    out = tmp_path / "translated.tsv"
    code = main(["--db", registry.url, "predict", "ES", "PT", "Translate", "--input", str(source),
                 "--output", str(out), "-q"])
    assert code == 1
    assert "2 of 4 rows failed" in capsys.readouterr().err
    written = list(csv.DictReader(out.open(encoding="utf-8"), delimiter="\t"))
    assert [r["id"] for r in written] == ["1", "2", "3", "4"]
    model = registry.compose("ES", "PT", "Translate")
    expected = model.generate_batch([{"text": SENTENCES[0]}, {"text": SENTENCES[1]}])
    assert [written[0]["Translate"], written[3]["Translate"]] == expected
    assert not written[0]["error"] and not written[3]["error"]
    assert "no value in column 'text'" in written[1]["error"]
    assert "4,000-character limit" in written[2]["error"]
