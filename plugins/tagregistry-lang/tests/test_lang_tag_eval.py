"""The tag evaluation on the tiny help tree with random tags on a tiny Gemma 3: both methods
score the same sample the baselines use, and the plain-names prompt holds no language tag."""

from __future__ import annotations

import json

import torch

from tagregistry.engine.prompt import TagOccurrence
from tagregistry.models.loading import load_base
from tagregistry.testing import tiny_model, tiny_tokenizer
from tagregistry_lang import tag_eval
from tagregistry_lang.baselines import sample_pairs


def _register_random_tags(registry, tmp_path):
    folder = tmp_path / "tiny-gemma3"
    tiny_model("gemma3").save_pretrained(folder)
    tiny_tokenizer().save_pretrained(folder)
    base = load_base(str(folder))
    generator = torch.Generator().manual_seed(0)
    for name in ("EN", "FR", "ES", "PT", "Translate"):
        source = {"base_name": str(folder), **({"domains": ["EN", "FR"]} if name == "Translate" else {})}
        registry.register(name, torch.randn(3, base.hidden_size, generator=generator) * 0.02,
                          base=base.record, kind="function" if name == "Translate" else "domain",
                          source=source)


def test_both_methods_on_the_baselines_sample(registry, help_tree, tmp_path, monkeypatch):
    _register_random_tags(registry, tmp_path)
    texts = [p["text"] for p in sample_pairs("ES", "PT", 5, help_tree)]
    result = tag_eval.run_pair(registry, "ES", "PT", n=5, methods=tag_eval.METHODS,
                               max_new_tokens=3, batch_size=2, folder=help_tree)
    assert result["n"] == len(texts) >= 1 and result["zero_shot_slots"] == ["text", "target"]
    assert result["translate"] == "Translate@1"
    for method in tag_eval.METHODS:
        assert len(result["outputs"][method]) == len(texts)
        assert 0 <= result[method]["chrf++"] <= 100
    model = registry.compose("ES", "PT", "Translate")
    assert result["outputs"]["tags"] == [o.strip() for o in model.generate_batch(
        [{"text": t} for t in texts], max_new_tokens=3)]


def test_plain_names_prompt_carries_only_the_function_tag(registry, help_tree, tmp_path, monkeypatch):
    _register_random_tags(registry, tmp_path)
    model = registry.compose("EN", "FR", "Translate")
    seen = []
    import tagregistry.engine.generation as generation

    real = generation.generate_texts

    def spy(model_, tokenizer, prompts, table, config, **kwargs):
        seen.extend(prompts)
        return real(model_, tokenizer, prompts, table, config, **kwargs)

    monkeypatch.setattr(generation, "generate_texts", spy)
    out = tag_eval.translate_with_names(model, ["Open the file."], "EN", "FR",
                                        max_new_tokens=2, batch_size=1)
    assert len(out) == 1 and len(seen) == 1
    prompt = seen[0]
    assert prompt.tags == [TagOccurrence("Translate", prompt.function_start, 3)]
    assert prompt.function_start + 3 == len(prompt.input_ids)
    text = model.tokenizer.decode(prompt.input_ids[:prompt.function_start], skip_special_tokens=True)
    assert text == "Input: English: Open the file.\nOutput: French:"


def test_cli_writes_json(registry, help_tree, tmp_path, monkeypatch, capsys):
    _register_random_tags(registry, tmp_path)
    monkeypatch.setenv("TAGREGISTRY_DB_URL", registry.url)
    out = tmp_path / "tags.json"
    code = tag_eval.main(["--pair", "en-fr", "--n", "2", "--method", "tags", "--max-new-tokens",
                          "2", "--folder", str(help_tree), "--json", str(out)])
    assert code == 0
    assert "Translate@1\tEN->FR\ttags\tn=" in capsys.readouterr().out
    assert set(json.loads(out.read_text())["pairs"]["EN-FR"]) >= {"tags", "outputs", "n"}
    assert tag_eval.main(["--pair", "ENFR", "--folder", str(help_tree)]) == 1
