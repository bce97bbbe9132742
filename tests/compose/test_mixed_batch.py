"""Mixed-task batches: records of several functions (and domains) in one forward pass."""

from __future__ import annotations

import pytest
import torch

from tagregistry.errors import InputError

FUNCTIONS = ("TestScore", "TestVector", "TestClass", "TestPair")
MOLS = ["CCO", "CC(=O)Oc1ccccc1C(=O)O", "N", "c1ccccc1O and more words here", "CCN(CC)CC"]


def _records() -> list[dict]:
    records = []
    for i, mol in enumerate(MOLS * 2):
        function = FUNCTIONS[i % len(FUNCTIONS)]
        record = {"function": function, "mol": mol}
        if function == "TestPair":  # a second domain tag (TestText) only this function uses
            record["text"] = ["the cat", "a long sentence about rings"][i % 2]
        records.append(record)
    return records


@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_mixed_batch_equals_per_function_batches(arch, tagged):
    model = tagged(arch, "TestMol", "TestText", *FUNCTIONS)
    records = _records()
    mixed = model.predict_batch(records, batch_size=4, output="logits")
    for function in FUNCTIONS:
        rows = [i for i, r in enumerate(records) if r["function"] == function]
        slots = [{k: v for k, v in records[i].items() if k != "function"} for i in rows]
        alone = model.predict_batch(slots, function, batch_size=4, output="logits")
        torch.testing.assert_close(torch.tensor([mixed[i] for i in rows]), torch.tensor(alone),
                                   atol=1e-5, rtol=0)
    # user values too: floats, vectors and class labels side by side, in input order
    values = model.predict_batch(records, batch_size=16)
    for record, value in zip(records, values, strict=True):
        slots = {k: v for k, v in record.items() if k != "function"}
        single = model.predict(record["function"], **slots)
        if isinstance(single, str):
            assert value == single
        else:
            torch.testing.assert_close(torch.tensor(value), torch.tensor(single), atol=1e-5, rtol=0)
    # heads differ, so the same input must not give one value for every function
    assert len({str(mixed[i]) for i in range(4)}) == 4


def test_function_list_equals_function_key(tagged):
    model = tagged("llama", "TestMol", "TestScore", "TestClass")
    names = ["TestScore", "TestClass", "TestClass", "TestScore"]
    slots = [{"mol": m} for m in MOLS[:4]]
    by_list = model.predict_batch(slots, names, output="logits")
    by_key = model.predict_batch([{"function": n, **s} for n, s in zip(names, slots, strict=True)],
                                 output="logits")
    assert by_list == by_key


def test_mixed_batch_errors_name_the_record(tagged):
    model = tagged("llama", "TestMol", "TestScore", "TestDescribe")
    with pytest.raises(InputError, match="record 1: function 'Nope' is not composed"):
        model.predict_batch([{"function": "TestScore", "mol": "C"}, {"function": "Nope", "mol": "C"}])
    with pytest.raises(InputError, match="TestDescribe has no head; use generate_batch"):
        model.predict_batch([{"function": "TestScore", "mol": "C"},
                             {"function": "TestDescribe", "mol": "C"}])
    with pytest.raises(InputError, match="names function 'TestScore' but function='TestDescribe'"):
        model.predict_batch([{"function": "TestScore", "mol": "C"}], "TestDescribe")
    with pytest.raises(InputError, match="2 names for 1 records"):
        model.predict_batch([{"mol": "C"}], ["TestScore", "TestScore"])
    with pytest.raises(InputError, match="several functions are composed"):
        model.predict_batch([{"mol": "C"}])


def test_predict_many_one_function_equals_predict(tagged):
    model = tagged("llama", "TestMol", "TestScore", "TestClass")
    many = model.predict_many(["TestScore"], output="logits", mol="CCO")
    assert many == {"TestScore": model.predict("TestScore", output="logits", mol="CCO")}


@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_records_sharing_a_first_value_run_its_prefix_once(arch, tagged):
    """One molecule with several sentences (as one protein with many ligands): the grouped
    path, in chunks of ``batch_size``, gives what one record at a time gives."""
    from tagregistry.engine.prefix_share import shared_segment_groups

    model = tagged(arch, "TestMol", "TestText", "TestPair", "TestScore")
    texts = ["a", "the cat sat on the mat", "rings", "two words", "x y z"]
    records = [{"function": "TestPair", "mol": mol, "text": text}
               for mol in MOLS[:2] for text in texts]
    records += [{"function": "TestPair", "mol": "CCCC", "text": "alone"},
                {"function": "TestScore", "mol": MOLS[0]}]
    prompts = [model.encode(r["function"], **{k: v for k, v in r.items() if k != "function"})
               for r in records]
    assert sorted(map(len, shared_segment_groups(prompts).values())) == [5, 5]
    values = model.predict_batch(records, batch_size=2, output="logits")
    for record, value in zip(records, values, strict=True):
        slots = {k: v for k, v in record.items() if k != "function"}
        single = model.predict(record["function"], output="logits", **slots)
        torch.testing.assert_close(torch.tensor(value), torch.tensor(single), atol=1e-5, rtol=0)
    assert len({str(v) for v in values[:5]}) == 5


@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_heads_reading_the_values_share_prefixes_too(arch, tagged):
    """Heads that also read the slot values' tokens (``readout_values``) get the prefix's
    states joined to each suffix's: predict_many and grouped records equal one prompt at a time."""
    from tagregistry.engine.prefix_share import shared_segment_groups

    values = {"readout": {"pool": "mean", "layers": [1, -1], "values": True}}
    model = tagged(arch, "TestMol", "TestText", "TestPair", "TestScore", "TestVector",
                   configs={"TestPair": values, "TestScore": values})
    many = model.predict_many(["TestScore", "TestVector"], output="logits", mol=MOLS[1])
    for name, value in many.items():
        single = model.predict(name, output="logits", mol=MOLS[1])
        torch.testing.assert_close(torch.tensor(value), torch.tensor(single), atol=1e-5, rtol=0)
    records = [{"mol": mol, "text": text} for mol in MOLS[:2] for text in ("a", "the cat sat", "x y z")]
    prompts = [model.encode("TestPair", **r) for r in records]
    assert sorted(map(len, shared_segment_groups(prompts).values())) == [3, 3]
    grouped = model.predict_batch(records, "TestPair", batch_size=2, output="logits")
    for record, value in zip(records, grouped, strict=True):
        single = model.predict("TestPair", output="logits", **record)
        torch.testing.assert_close(torch.tensor(value), torch.tensor(single), atol=1e-5, rtol=0)
    # the values matter: the same prompt read without them gives other features
    assert len({str(v) for v in grouped}) == len(records)
