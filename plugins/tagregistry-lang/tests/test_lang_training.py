"""Training on the help corpus with a tiny random Gemma 3: stage 1 for two language tags from
the monolingual data sets, then <Translate> (stage 3, target tag alone) on EN -> FR pairs."""

from __future__ import annotations

import pytest
import torch

from tagregistry.testing import tiny_base

HYPER = {"n_vectors": 2, "batch_size": 4, "max_steps": 3, "lr": 1e-2}


def test_stage1_then_translate_with_frozen_language_tags(registry, help_tree, tmp_path):
    base = tiny_base("gemma3")
    for lang in ("EN", "FR"):
        registry.train({"stage": 1, "tag": lang, "hyper": HYPER,
                        "data": {"dataset": f"libreoffice-help-{lang.lower()}",
                                 "options": {"folder": str(help_tree)}}},
                       base=base, output_dir=tmp_path / lang, progress=False)
    frozen = {lang: registry.load(lang) for lang in ("EN", "FR")}
    result = registry.train(
        {"stage": 3, "tag": "Translate", "hyper": HYPER,
         "data": {"dataset": "libreoffice-help-pairs", "label_field": "translation",
                  "options": {"folder": str(help_tree), "source": "EN", "target": "FR"}}},
        base=base, output_dir=tmp_path / "translate", progress=False)
    record = result.records[0]
    assert record.ref == "Translate@1" and record.head is None
    assert record.source["frozen"] == ["EN@1", "FR@1"]
    assert record.metrics["test_loss"] > 0
    assert all(torch.equal(registry.load(lang), frozen[lang]) for lang in frozen)
    model = registry.compose("EN", "FR", "Translate", base=base)
    assert model.binding().zero_shot_slots == []
    assert isinstance(model.generate(text="Open the file.", max_new_tokens=4), str)


MIX = {"dataset": "libreoffice-help-pair-mix", "label_field": "translation",
       "slot_domain_fields": {"text": "source_language", "target": "target_language"}}


def test_translate_on_records_that_name_their_own_languages(registry, help_tree, tmp_path):
    """Stage 3 on EN -> FR and FR -> EN records at once: each record's languages fill the slots,
    every language named is frozen, and ES -> PT composes zero-shot and generates."""
    base = tiny_base("gemma3")
    for lang in ("EN", "FR", "ES", "PT"):
        registry.train({"stage": 1, "tag": lang, "hyper": HYPER,
                        "data": {"dataset": f"libreoffice-help-{lang.lower()}",
                                 "options": {"folder": str(help_tree)}}},
                       base=base, output_dir=tmp_path / lang, progress=False)
    frozen = {lang: registry.load(lang) for lang in ("EN", "FR", "ES", "PT")}
    data = {**MIX, "options": {"folder": str(help_tree), "pairs": ["EN-FR", "FR-EN"]}}
    result = registry.train({"stage": 3, "tag": "Translate", "hyper": HYPER, "data": data},
                            base=base, output_dir=tmp_path / "translate", progress=False)
    record = result.records[0]
    assert record.source["domains"] == ["EN", "FR"]
    assert record.source["frozen"] == ["EN@1", "FR@1"]
    assert all(torch.equal(registry.load(lang), frozen[lang]) for lang in frozen)
    assert registry.compose("FR", "EN", "Translate", base=base).binding().zero_shot_slots == []
    model = registry.compose("ES", "PT", "Translate", base=base)
    assert model.binding().zero_shot_slots == ["text", "target"]
    sentences = [{"text": "Abra el archivo."}, {"text": "Elija Herramientas."}]
    batch = model.generate_batch(sentences, max_new_tokens=4)
    assert batch == [model.generate(**s, max_new_tokens=4) for s in sentences]


def test_each_record_gets_its_own_language_tags(help_tree):
    from tagregistry.engine.prompt import PromptEncoder
    from tagregistry.plugins.manager import Catalog
    from tagregistry.testing import tiny_tokenizer
    from tagregistry.training.examples import encode_function_examples
    from tagregistry_lang.help_corpus import load_help_pair_mix
    from tagregistry_lang.plugin import TRANSLATE_TEMPLATE

    records = load_help_pair_mix("train", ["EN-FR", "FR-EN"], folder=help_tree, limit=4)
    assert [(r["source_language"], r["target_language"]) for r in records] == [
        ("EN", "FR"), ("FR", "EN")] * 2
    assert records[1]["text"] == records[0]["translation"]
    domains = [{"text": r["source_language"], "target": r["target_language"]} for r in records]
    encoder = PromptEncoder(tiny_tokenizer(), Catalog())
    examples = encode_function_examples(
        encoder, TRANSLATE_TEMPLATE, ["text"], records, {"EN": 2, "FR": 2, "Translate": 2},
        label_field="translation", output="text", tag_only=["target"], slot_domains=domains)
    assert [[t.name for t in e.prompt.tags] for e in examples] == [
        ["EN", "FR", "Translate"], ["FR", "EN", "Translate"]] * 2
    assert examples[1].target_ids[:-1] == encoder.token_ids(records[1]["translation"])


def test_mixed_records_refuse_a_missing_language_or_an_unknown_slot(registry, help_tree, tmp_path):
    from tagregistry.errors import InputError
    from tagregistry.training.stages import TrainingError

    base = tiny_base("gemma3")
    for lang in ("EN", "FR"):
        registry.train({"stage": 1, "tag": lang, "hyper": HYPER,
                        "data": {"dataset": f"libreoffice-help-{lang.lower()}",
                                 "options": {"folder": str(help_tree)}}},
                       base=base, output_dir=tmp_path / lang, progress=False)
    options = {"folder": str(help_tree), "pairs": ["EN-FR"]}
    bad_field = {**MIX, "options": options, "slot_domain_fields": {"text": "language"}}
    with pytest.raises(InputError, match="record 0 has no 'language' value naming the domain"):
        registry.train({"stage": 3, "tag": "Translate", "hyper": HYPER, "data": bad_field},
                       base=base, output_dir=tmp_path / "bad", progress=False)
    bad_slot = {**MIX, "options": options, "slot_domain_fields": {"source": "source_language"}}
    with pytest.raises(TrainingError, match="names \\['source'\\], which Translate does not have"):
        registry.train({"stage": 3, "tag": "Translate", "hyper": HYPER, "data": bad_slot},
                       base=base, output_dir=tmp_path / "bad2", progress=False)
    assert "Translate" not in {r.name for r in registry.list()}
