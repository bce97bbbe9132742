"""A text function whose template ends with its target's domain tag after the function tag
(``... Output: {Translate}{PT:target}``): the spec accepts it only for text outputs and
tag-only slots, prompts mark where the function tag starts, and it trains and generates."""

from __future__ import annotations

import pytest
import torch
from pydantic import ValidationError

from tagregistry.engine.prompt import PromptEncoder
from tagregistry.specs import FunctionSpec, HeadSpec, SlotSpec

TEMPLATE = "The molecule {TestMol:mol} in words: {TestWords}{TestText:target}"
SLOTS = [{"name": "mol", "domains": ["TestMol"]},
         {"name": "target", "domains": ["TestText"], "tag_only": True}]


def words_spec(template: str = TEMPLATE, **extra) -> FunctionSpec:
    return FunctionSpec(name="TestWords", slots=[SlotSpec(**s) for s in SLOTS], template=template,
                        **{"output": "text", **extra})


def test_only_tag_only_slots_may_follow_the_function_tag_of_a_text_output():
    assert words_spec().template == TEMPLATE
    refused = [
        (TEMPLATE + " now", {}),  # text after the tag
        ("The molecule {TestMol:mol} in words: {TestWords}{TestText:target} {TestMol:other}",
         {}),  # a slot with a value
        (TEMPLATE, {"output": "scalar", "head": HeadSpec(type="regression")}),  # a head reads the tag
    ]
    for template, extra in refused:
        with pytest.raises(ValidationError, match="must end with the function tag"):
            words_spec(template, **extra)


def test_the_prompt_ends_with_the_target_tag_and_knows_where_the_function_tag_starts(base):
    encoder = PromptEncoder(base.tokenizer)
    prompt = encoder.encode(TEMPLATE, {"mol": "CCO"}, {"TestMol": 2, "TestWords": 3, "TestText": 2},
                            tag_only=["target"])
    mol, words, target = prompt.tags
    assert [t.name for t in prompt.tags] == ["TestMol", "TestWords", "TestText"]
    assert prompt.function_start == words.start and prompt.function == "TestWords"
    assert target.start == words.start + 3 and target.end == len(prompt.input_ids)
    assert prompt.values[0].end <= words.start


def test_it_trains_with_the_target_tag_frozen_and_generates(registry, catalog, base, pair_file,
                                                            hyper, tmp_path):
    frozen = registry.load("TestText")
    result = registry.train(
        {"stage": 3, "tag": "TestWords", "function": {**words_spec().model_dump(), "stop": ["\n"]},
         "data": {"file": str(pair_file), "label_field": "text"},
         "hyper": hyper(max_steps=4)},
        catalog=catalog, base=base, output_dir=tmp_path / "words", progress=False)
    record = result.records[0]
    assert record.metrics["test_loss"] > 0
    assert torch.equal(registry.load("TestText"), frozen)
    model = registry.compose("TestMol", "TestText", "TestWords", base=base, catalog=catalog)
    assert model.prompt_text(mol="CCO").endswith("in words:<TestWords><TestText>")
    assert isinstance(model.generate(mol="CCO", max_new_tokens=4), str)
