"""Text-generating functions: tag-only slots, slots filled in compose order, stop strings,
plain-text generation, and compose choosing the base the tags were trained on."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from tagregistry.compose.slots import trained_base
from tagregistry.engine.generation import GenerationConfig, generate_from_text, generate_texts
from tagregistry.engine.prompt import PromptEncoder
from tagregistry.errors import BaseModelMismatchError, InputError
from tagregistry.models.loading import load_base
from tagregistry.plugins.hookspecs import hookimpl
from tagregistry.plugins.manager import Catalog
from tagregistry.specs import BaseModelSpec, DomainSpec, FunctionSpec, SlotSpec
from tagregistry.testing import testing_plugin, tiny_base
from tagregistry.training.examples import encode_function_examples

LANGS = ["LangA", "LangB", "LangC"]
TEMPLATE = "Input: {LangA:text}\nOutput: {LangB:target}{TestTranslate}"


@hookimpl(specname="tagregistry_domains")
def _domains() -> list[DomainSpec]:
    return [DomainSpec(name=n, tokenizer="plain", family="testlang") for n in LANGS]


@hookimpl(specname="tagregistry_functions")
def _functions() -> list[FunctionSpec]:
    slots = [SlotSpec(name="text", domains=["LangA", "LangB"], families=["testlang"]),
             SlotSpec(name="target", domains=["LangA", "LangB"], families=["testlang"],
                      tag_only=True)]
    return [FunctionSpec(name="TestTranslate", slots=slots, template=TEMPLATE, output="text",
                         stop=["\n"])]


@hookimpl(specname="tagregistry_base_models")
def _bases() -> list[BaseModelSpec]:
    return [BaseModelSpec(name="tiny-llama", loader="tagregistry.testing:load_tiny",
                          model_id="tiny-llama")]


lang_plugin = SimpleNamespace(tagregistry_domains=_domains, tagregistry_functions=_functions,
                              tagregistry_base_models=_bases)


@pytest.fixture(scope="module")
def lang_catalog() -> Catalog:
    return Catalog(extra=[("testing", testing_plugin), ("testlang", lang_plugin)])


def register(registry, base, names, base_name=None, seed=0):
    generator = torch.Generator().manual_seed(seed)
    scale = float(base.model.get_input_embeddings().weight.std())
    source = {"base_name": base_name} if base_name else {}
    for name in names:
        kind = "function" if name.startswith("Test") else "domain"
        registry.register(name, torch.randn(2, base.hidden_size, generator=generator) * scale,
                          base=base.record, kind=kind, source=source)


@pytest.fixture
def translate(registry, lang_catalog):
    """``translate(*langs, arch=...)``: random LangA-C and TestTranslate tags composed."""

    def build(*langs, arch="llama", **options):
        base = tiny_base(arch)
        register(registry, base, [*LANGS, "TestTranslate"])
        return registry.compose(*langs, "TestTranslate", base=base, catalog=lang_catalog, **options)

    return build


def test_target_slot_is_a_lone_tag_filled_in_compose_order(translate):
    model = translate("LangC", "LangA")
    binding = model.binding()
    assert binding.slot_domains == {"text": "LangC", "target": "LangA"}
    assert binding.slots == ["text"]  # what callers pass
    assert binding.zero_shot_slots == ["text"]  # LangC was never a trained domain
    prompt = model.encode(text="hello world")
    assert [t.name for t in prompt.tags] == ["LangC", "LangA", "TestTranslate"]
    assert [v.slot for v in prompt.values] == ["text"]
    assert model.prompt_text(text="hello world").endswith("Output:<LangA><TestTranslate>")
    # the other order swaps the roles
    assert translate("LangA", "LangC").binding().slot_domains == {"text": "LangA", "target": "LangC"}


def test_target_value_is_refused_and_explicit_target_leaves_the_other_domain(translate):
    model = translate("LangC", "LangA")
    with pytest.raises(InputError, match="take no value: compose chose the domain"):
        model.encode(text="hi", target="LangB")
    explicit = translate("LangC", "LangA", slot_domains={"target": "LangA"})
    assert explicit.binding().slot_domains == {"text": "LangC", "target": "LangA"}


def test_generation_stops_at_the_function_stop_strings(translate):
    model = translate("LangA", "LangB")
    raw = model.generate(text="the cat sits", max_new_tokens=16, stop=[])
    assert len(raw) >= 4
    cut = raw[2:4]
    assert model.generate(text="the cat sits", max_new_tokens=16, stop=[cut]) == raw.split(cut, 1)[0]
    binding = model.binding()
    binding.spec = binding.spec.model_copy(update={"stop": [cut]})
    assert model.generate(text="the cat sits", max_new_tokens=16) == raw.split(cut, 1)[0]


@pytest.mark.parametrize("arch", ["llama", "gemma3"])
def test_generate_batch_equals_one_at_a_time_with_and_without_cache(translate, arch):
    model = translate("LangA", "LangB", arch=arch)
    records = [{"text": "a"}, {"text": "the molecule and the protein bind strongly"},
               {"text": "What is the value of this input?"}]
    single = [model.generate(max_new_tokens=10, stop=[], **r) for r in records]
    assert model.generate_batch(records, batch_size=3, max_new_tokens=10, stop=[]) == single
    assert model.generate_batch(records, batch_size=2, max_new_tokens=10, stop=[],
                                use_cache=False) == single
    assert model.generate_batch([], max_new_tokens=4) == []


def test_plain_text_generation_matches_transformers_greedy_decoding():
    base = tiny_base("llama")
    prompts = ["The molecule is", "Translate the sentence into French: the cat"]
    ours = generate_from_text(base, prompts, max_new_tokens=8, batch_size=2)
    for prompt, text in zip(prompts, ours, strict=True):
        ids = base.tokenizer(prompt, return_tensors="pt")
        out = base.model.generate(**ids, max_new_tokens=8, do_sample=False,
                                  pad_token_id=base.tokenizer.pad_token_id)
        expected = base.tokenizer.decode(out[0, ids.input_ids.shape[1]:], skip_special_tokens=True)
        assert text == expected
    with pytest.raises(InputError, match="non-empty string"):
        generate_from_text(base, [""])


def test_generate_texts_cuts_at_stop_strings():
    base = tiny_base("gpt2")
    encoder = PromptEncoder(base.tokenizer)
    prompts = [encoder.encode_text("The protein binds")]
    config = GenerationConfig(max_new_tokens=12)
    raw = generate_texts(base.model, base.tokenizer, prompts, None, config, pad_id=0)[0]
    assert len(raw) >= 3
    stopped = generate_texts(base.model, base.tokenizer, prompts, None, config, pad_id=0,
                             stop=[raw[1:3]])[0]
    assert stopped == raw.split(raw[1:3], 1)[0]


def test_training_examples_give_the_target_tag_alone_and_the_translation_as_target():
    base = tiny_base("llama")
    encoder = PromptEncoder(base.tokenizer)
    records = [{"text": "the cat", "translation": "le chat"}]
    (example,) = encode_function_examples(
        encoder, TEMPLATE, ["text"], records, {"LangA": 2, "LangB": 2, "TestTranslate": 3},
        label_field="translation", output="text", tag_only=["target"])
    assert [t.name for t in example.prompt.tags] == ["LangA", "LangB", "TestTranslate"]
    assert example.prompt.tags[-1].end == len(example.prompt.input_ids)
    assert example.target_ids[:-1] == encoder.token_ids("le chat")
    assert example.target_ids[-1] == base.tokenizer.eos_token_id


def test_compose_uses_the_base_the_tags_were_trained_on(registry, lang_catalog):
    llama = load_base("tiny-llama", catalog=lang_catalog)
    register(registry, llama, ["LangA", "LangB", "TestTranslate"], base_name="tiny-llama")
    model = registry.compose("LangA", "LangB", "TestTranslate", catalog=lang_catalog)
    assert model.base.name == "tiny-llama"
    assert model.base.record == llama.record

    gpt2 = load_base("tiny-gpt2", catalog=lang_catalog)
    register(registry, gpt2, ["LangC"], base_name="tiny-gpt2")
    with pytest.raises(BaseModelMismatchError, match="LangC on tiny-gpt2") as caught:
        registry.compose("LangA", "LangC", "TestTranslate", catalog=lang_catalog)
    assert "LangA on tiny-llama" in str(caught.value)
    register(registry, gpt2, ["LangA"], base_name="tiny-gpt2", seed=1)
    with pytest.raises(InputError, match=r"several bases \(tiny-gpt2, tiny-llama\)"):
        trained_base(registry.store, ("LangA",))
    assert trained_base(registry.store, ("LangA@1", "LangB")) == "tiny-llama"
    assert trained_base(registry.store, ("LangA@2", "LangC")) == "tiny-gpt2"
    assert trained_base(registry.store, ("NoSuchTag",)) is None  # compose itself says it is unknown


def test_tags_without_a_recorded_base_keep_the_default(registry, lang_catalog):
    register(registry, tiny_base("llama"), ["LangA"])
    assert trained_base(registry.store, ("LangA",)) is None
