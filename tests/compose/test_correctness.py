"""The three correctness properties of splicing, on six architectures."""

from __future__ import annotations

import pytest
import torch

from tagregistry.engine.collate import collate_prompts
from tagregistry.engine.forward import run_base
from tagregistry.engine.prompt import PromptEncoder
from tagregistry.engine.splice import TagTable, embed_tokens, splice_embeddings
from tagregistry.testing import ARCHITECTURES, tiny_base

TEMPLATE = "The molecule is {TestMol:mol}. Its score is {TestScore}"


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_tag_equal_to_token_embeddings_gives_identical_logits(arch, catalog):
    """(1) A tag whose vectors are the embeddings of some tokens == writing those tokens."""
    base = tiny_base(arch)
    tok = base.tokenizer
    domain_ids = tok(" a small", add_special_tokens=False)["input_ids"]
    function_ids = tok(" number", add_special_tokens=False)["input_ids"]
    table = TagTable({"TestMol": embed_tokens(base.model, domain_ids),
                      "TestScore": embed_tokens(base.model, function_ids)})
    encoder = PromptEncoder(tok, catalog)
    prompt = encoder.encode(TEMPLATE, {"mol": "CCO"}, table.lengths())
    text_ids = tok("The molecule is a small CCO. Its score is number")["input_ids"]
    expected = list(prompt.input_ids)
    for tag, ids in zip(prompt.tags, (domain_ids, function_ids), strict=True):
        expected[tag.start:tag.end] = ids
    assert expected == text_ids  # the pieces tokenise exactly like the running text

    batch = collate_prompts([prompt], table.layout(), tok.pad_token_id)
    with torch.no_grad():
        embeds = splice_embeddings(base.model, batch.input_ids, batch.tag_rows, table)
        spliced = run_base(base.model, embeds, batch.attention_mask, batch.position_ids,
                           logits=True).logits
        plain = base.model(input_ids=torch.tensor([text_ids])).logits
    assert spliced.shape == plain.shape
    torch.testing.assert_close(spliced, plain, atol=1e-5, rtol=0)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_batched_left_padded_equals_one_at_a_time(arch, tagged):
    """(2) Mixed-length records in one left-padded batch predict what they do alone."""
    model = tagged(arch, "TestMol", "TestScore", "TestClass")
    records = [{"mol": "CCO"}, {"mol": "CC(=O)Oc1ccccc1C(=O)O"}, {"mol": "N"},
               {"mol": "c1ccccc1O and more words here"}]
    lengths = {len(model.encode("TestScore", **r)) for r in records}
    assert len(lengths) >= 3  # really mixed lengths, so padding happens
    for function in ("TestScore", "TestClass"):
        batched = model.predict_batch(records, function, batch_size=4, output="logits")
        single = [model.predict(function, output="logits", **r) for r in records]
        torch.testing.assert_close(torch.tensor(batched), torch.tensor(single), atol=1e-5, rtol=0)
    # the batch must differ per record: a broken splice that ignores the input would not
    scores = model.predict_batch(records, "TestScore")
    assert len(set(scores)) == len(records)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_generation_with_cache_equals_without(arch, tagged):
    """(3) 20 greedy tokens with the KV cache equal 20 tokens recomputed from scratch."""
    model = tagged(arch, "TestMol", "TestDescribe")
    cached = model.generate_ids(mol="CC(=O)O", max_new_tokens=20, use_cache=True)
    uncached = model.generate_ids(mol="CC(=O)O", max_new_tokens=20, use_cache=False)
    assert len(cached) == 20
    assert cached == uncached


@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_batched_generation_equals_single(arch, tagged):
    model = tagged(arch, "TestMol", "TestDescribe")
    records = [{"mol": "CCO"}, {"mol": "CC(=O)Oc1ccccc1C(=O)O"}, {"mol": "N"}]
    batched = model.generate_batch(records, batch_size=3, max_new_tokens=12)
    single = [model.generate(max_new_tokens=12, **r) for r in records]
    assert batched == single


def test_splice_is_differentiable_for_trainable_tags(catalog):
    base = tiny_base("llama")
    table = TagTable({"TestMol": torch.randn(3, 32), "TestScore": torch.randn(4, 32)},
                     trainable=["TestScore"])
    prompt = PromptEncoder(base.tokenizer, catalog).encode(TEMPLATE, {"mol": "CCO"}, table.lengths())
    batch = collate_prompts([prompt], table.layout(), 1)
    embeds = splice_embeddings(base.model, batch.input_ids, batch.tag_rows, table)
    hidden = run_base(base.model, embeds, batch.attention_mask, batch.position_ids).hidden
    hidden[0, batch.readout[0]].sum().backward()
    grad = table.tensor("TestScore").grad
    assert grad is not None and grad.abs().sum() > 0
    assert table.tensor("TestMol").grad is None
    assert all(p.grad is None for p in base.model.parameters())
