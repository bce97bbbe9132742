"""Training on the help corpus with a tiny random Gemma 3: stage 1 for two language tags from
the monolingual data sets, then <Translate> (stage 3, target tag alone) on EN -> FR pairs."""

from __future__ import annotations

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
