"""compose(): heads, predict_many, zero-shot metadata, bad input and base binding."""

from __future__ import annotations

import pytest
import torch

from tagregistry.engine.collate import collate_prompts
from tagregistry.engine.forward import readout, run_base
from tagregistry.engine.splice import splice_embeddings
from tagregistry.errors import BaseModelMismatchError, InputError, IntegrityError, NotFoundError
from tagregistry.testing import tiny_base

MOLS = [{"mol": "CCO"}, {"mol": "c1ccccc1O"}, {"mol": "CC(=O)Oc1ccccc1C(=O)O"}]


def _raw_head_output(model, function, record):
    """Head output computed by hand from the spliced forward pass (no TaggedModel logic)."""
    binding = model.binding(function)
    prompt = model.encode(function, **record)
    batch = collate_prompts([prompt], model.table.layout(), 1)
    with torch.no_grad():
        embeds = splice_embeddings(model.model, batch.input_ids, batch.tag_rows, model.table)
        hidden = run_base(model.model, embeds, batch.attention_mask, batch.position_ids).hidden
        return binding.head(readout(hidden, batch.readout).float())[0]


def test_regression_returns_original_units(tagged):
    config = {"TestScore": {"label_mean": [10.0], "label_std": [4.0]}}
    model = tagged("llama", "TestMol", "TestScore", configs=config)
    value = model.predict(mol="CCO")
    raw = _raw_head_output(model, "TestScore", {"mol": "CCO"})
    assert isinstance(value, float)
    assert value == pytest.approx(float(raw[0]) * 4.0 + 10.0, abs=1e-5)
    assert model.predict(mol="CCO", output="logits") == pytest.approx([float(raw[0])], abs=1e-5)


def test_vector_regression_unscales_each_column(tagged):
    config = {"TestVector": {"label_mean": [100.0, 1.0], "label_std": [50.0, 0.5]}}
    model = tagged("qwen2", "TestMol", "TestVector", configs=config)
    value = model.predict(mol="CCO")
    raw = _raw_head_output(model, "TestVector", {"mol": "CCO"})
    assert value == pytest.approx([float(raw[0]) * 50 + 100, float(raw[1]) * 0.5 + 1], abs=1e-4)


def test_classification_labels_probabilities_logits(tagged):
    model = tagged("gpt2", "TestMol", "TestClass")
    raw = _raw_head_output(model, "TestClass", {"mol": "CCO"})
    probs = model.predict(mol="CCO", output="probabilities")
    assert list(probs) == ["a", "b", "c"]
    assert sum(probs.values()) == pytest.approx(1.0)
    assert model.predict(mol="CCO") == "abc"[int(raw.argmax())]
    assert model.predict(mol="CCO", output="logits") == pytest.approx(raw.tolist(), abs=1e-5)
    with pytest.raises(InputError, match="output must be one of"):
        model.predict(mol="CCO", output="labels")


def test_probabilities_refused_for_regression(tagged):
    model = tagged("llama", "TestMol", "TestScore")
    with pytest.raises(InputError, match="classification"):
        model.predict(mol="CCO", output="probabilities")


@pytest.mark.parametrize("arch", ["llama", "gpt2", "gemma"])
def test_predict_many_equals_separate_predictions(arch, tagged):
    model = tagged(arch, "TestMol", "TestScore", "TestVector", "TestClass")
    for record in MOLS:
        together = model.predict_many(output="logits", **record)
        assert list(together) == ["TestScore", "TestVector", "TestClass"]
        for function, value in together.items():
            alone = model.predict(function, output="logits", **record)
            assert value == pytest.approx(alone, abs=1e-5)
    labels = model.predict_many(["TestClass", "TestScore"], mol="CCO")
    assert list(labels) == ["TestClass", "TestScore"] and labels["TestClass"] in "abc"


def test_predict_many_with_text_function(tagged):
    model = tagged("llama", "TestMol", "TestScore", "TestDescribe")
    out = model.predict_many(mol="CCO")
    assert out["TestScore"] == pytest.approx(model.predict("TestScore", mol="CCO"), abs=1e-5)
    assert out["TestDescribe"] == model.generate("TestDescribe", mol="CCO")


def test_zero_shot_domain_from_family_is_marked(registry, catalog, register_tags):
    base = tiny_base("llama")
    register_tags(base, ["TestMolChars", "TestScore"],
                    source={"TestScore": {"domains": ["TestMol@1"]}})
    model = registry.compose("TestMolChars", "TestScore", base=base, catalog=catalog)
    info = model.metadata["functions"]["TestScore"]
    assert model.metadata["zero_shot"] is True
    assert info["zero_shot"] is True and info["zero_shot_slots"] == ["mol"]
    assert info["slots"] == {"mol": "TestMolChars"} and info["trained_domains"] == ["TestMol"]
    # the characters tokenizer of TestMolChars renders the value, after the TestMolChars tag
    assert model.prompt_text(mol="CCO").endswith("<TestMolChars> C C O. Its score is<TestScore>")
    assert isinstance(model.predict(mol="CCO"), float)


def test_trained_domain_is_not_zero_shot(tagged):
    model = tagged("llama", "TestMol", "TestScore", source={"TestScore": {"domains": ["TestMol"]}})
    assert model.metadata["zero_shot"] is False
    assert model.metadata["functions"]["TestScore"]["slots"] == {"mol": "TestMol"}


def test_slot_choice_between_two_family_domains(registry, catalog, register_tags):
    base = tiny_base("llama")
    register_tags(base, ["TestMolChars", "TestMol", "TestScore"])
    with pytest.warns(UserWarning, match="TestMol fill no slot"):
        model = registry.compose("TestMolChars", "TestMol", "TestScore", base=base,
                                 catalog=catalog, slot_domains={"mol": "TestMolChars"})
    assert model.metadata["functions"]["TestScore"]["slots"] == {"mol": "TestMolChars"}
    with pytest.warns(UserWarning, match="TestMolChars fill no slot"):
        model = registry.compose("TestMolChars", "TestMol", "TestScore", base=base, catalog=catalog)
    assert model.metadata["functions"]["TestScore"]["slots"] == {"mol": "TestMol"}
    with pytest.raises(InputError, match="'TestText' for slot 'mol', but it is not composed"):
        registry.compose("TestMol", "TestScore", base=base, catalog=catalog,
                         slot_domains={"mol": "TestText"})
    register_tags(base, ["TestText"])
    with pytest.raises(InputError, match="accepts TestMol, any testmol domain, not 'TestText'"):
        registry.compose("TestMol", "TestText", "TestScore", base=base, catalog=catalog,
                         slot_domains={"mol": "TestText"})


def test_missing_domain_for_slot(registry, catalog, register_tags):
    base = tiny_base("llama")
    register_tags(base, ["TestText", "TestScore"])
    with pytest.raises(InputError, match="slot 'mol' needs a domain tag"):
        registry.compose("TestScore", base=base, catalog=catalog)
    with pytest.raises(InputError, match="slot 'mol' needs"):
        registry.compose("TestText", "TestScore", base=base, catalog=catalog)


def test_two_slots_filled_by_two_domains(tagged):
    model = tagged("mistral", "TestMol", "TestText", "TestPair")
    assert model.metadata["functions"]["TestPair"]["slots"] == {"mol": "TestMol", "text": "TestText"}
    assert isinstance(model.predict(mol="CCO", text="hello"), float)


def test_bad_inputs_fail_before_model_work(tagged, monkeypatch):
    model = tagged("llama", "TestMol", "TestScore", "TestDescribe")

    def forbidden(*args, **kwargs):
        raise AssertionError("the model ran on bad input")

    monkeypatch.setattr(model.model.base_model, "forward", forbidden)
    monkeypatch.setattr(model.model, "forward", forbidden)
    with pytest.raises(InputError, match="missing slot"):
        model.predict("TestScore")
    with pytest.raises(InputError, match="unknown slot.*'smiles'"):
        model.predict("TestScore", mol="CCO", smiles="CCO")
    with pytest.raises(InputError, match="slot 'mol' .*rejected ''"):
        model.predict("TestScore", mol="")
    with pytest.raises(InputError, match="expects a string"):
        model.predict("TestScore", mol=3)
    with pytest.raises(InputError, match="context is 256"):
        model.predict("TestScore", mol="C" * 2000)
    with pytest.raises(InputError, match="record 1: missing slot"):
        model.predict_batch([{"mol": "CCO"}, {}], "TestScore")
    with pytest.raises(InputError, match="several functions"):
        model.predict(mol="CCO")
    with pytest.raises(InputError, match="not composed"):
        model.predict("QED", mol="CCO")
    with pytest.raises(InputError, match="unknown slot"):
        model.predict_many(mol="CCO", protein="MKT")
    with pytest.raises(InputError, match="exceeds the base model's context"):
        model.generate("TestDescribe", mol="CCO", max_new_tokens=250)
    with pytest.raises(InputError, match="no head"):
        model.predict_batch([{"mol": "CCO"}], "TestDescribe")


def test_base_mismatch_names_both_models(registry, catalog, register_tags):
    trained_on = tiny_base("llama", seed=0)
    other = tiny_base("llama", seed=1)
    register_tags(trained_on, ["TestMol", "TestScore"])
    with pytest.raises(BaseModelMismatchError) as err:
        registry.compose("TestMol", "TestScore", base=other, catalog=catalog)
    message = str(err.value)
    assert "tiny-llama-0" in message and "tiny-llama-1" in message


def test_same_weights_under_another_name_are_accepted(registry, catalog, register_tags):
    trained_on = tiny_base("llama", seed=0)
    register_tags(trained_on, ["TestMol", "TestScore"])
    from tagregistry.models.loading import LoadedBase

    renamed = LoadedBase.from_model(trained_on.model, trained_on.tokenizer, model_id="copy-of-it")
    model = registry.compose("TestMol", "TestScore@1", base=renamed, catalog=catalog)
    assert model.metadata["tags"] == ["TestMol@1", "TestScore@1"]


def test_unknown_tag_and_repeated_tag(registry, catalog, register_tags):
    base = tiny_base("llama")
    register_tags(base, ["TestMol", "TestScore"])
    with pytest.raises(NotFoundError, match="TestScor"):
        registry.compose("TestMol", "TestScor", base=base, catalog=catalog)
    with pytest.raises(NotFoundError):
        registry.compose("TestMol", "TestScore@7", base=base, catalog=catalog)
    with pytest.raises(InputError, match="more than once"):
        registry.compose("TestMol", "TestMol@1", "TestScore", base=base, catalog=catalog)
    with pytest.raises(InputError, match="at least one tag"):
        registry.compose(base=base, catalog=catalog)


def test_function_without_stored_head_is_refused(registry, catalog, register_tags):
    base = tiny_base("llama")
    register_tags(base, ["TestMol"])
    registry.register("TestScore", torch.zeros(4, 32), base=base.record, kind="function")
    with pytest.raises(IntegrityError, match="without the regression head"):
        registry.compose("TestMol", "TestScore", base=base, catalog=catalog)


def test_named_base_from_plugin(registry, catalog, register_tags):
    from tagregistry.models.loading import load_base

    base = load_base("tiny-gpt2", catalog=catalog)
    assert base.record.model_id == "tiny-gpt2" and base.model.training is False
    register_tags(base, ["TestMol", "TestScore"])
    model = registry.compose("TestMol", "TestScore", base="tiny-gpt2", catalog=catalog)
    assert isinstance(model.predict(mol="CCO"), float)
    assert model.metadata["base"]["model_id"] == "tiny-gpt2"


def test_bfloat16_base(registry, catalog, register_tags):
    from tagregistry.models.loading import load_base

    base32 = load_base("tiny-gpt2", catalog=catalog)
    base16 = load_base("tiny-gpt2", catalog=catalog, dtype=torch.bfloat16)
    assert base16.dtype == torch.bfloat16
    assert base16.record.fingerprint == base32.record.fingerprint
    register_tags(base32, ["TestMol", "TestScore"])
    model = registry.compose("TestMol", "TestScore", base="tiny-gpt2", catalog=catalog, dtype="bf16")
    value16 = model.predict(mol="CCO")
    value32 = registry.compose("TestMol", "TestScore", base="tiny-gpt2", catalog=catalog).predict(mol="CCO")
    assert value16 == pytest.approx(value32, abs=0.1)


def test_predict_batch_progress_and_order(tagged, capsys):
    model = tagged("llama", "TestMol", "TestScore")
    records = [{"mol": "C" * (1 + i % 7)} for i in range(20)]
    values = model.predict_batch(records, batch_size=2, progress=True)
    assert "TestScore" in capsys.readouterr().err
    assert values == pytest.approx([model.predict(**r) for r in records], abs=1e-5)
