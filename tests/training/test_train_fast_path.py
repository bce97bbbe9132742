"""The fast function-tag step (no-grad prefix + KV cache) equals the naive full pass."""

from __future__ import annotations

import pytest
import torch
from support.tiny_trainer import loss_and_grads, pair_trainer

from tagregistry.training.examples import collate_examples

RECORDS = [
    {"mol": "CCO", "text": "a cat", "label": 0.3},
    {"mol": "c1ccccc1O", "text": "the protein binds the ligand strongly", "label": -1.0},
    {"mol": "N", "text": "it", "label": 2.0},
    {"mol": "CC(=O)Oc1ccccc1C(=O)O", "text": "small", "label": 0.7},
]


def _trainer(arch: str, catalog, text_target: bool = False):
    trainer, examples = pair_trainer(arch, catalog, RECORDS, text_target=text_target)
    return trainer, collate_examples(examples, trainer.table.layout(), 1)


@pytest.mark.parametrize("arch", ["llama", "gpt2"])
@pytest.mark.parametrize("text_target", [False, True])
def test_fast_gradients_equal_naive(arch, text_target, catalog):
    trainer, batch = _trainer(arch, catalog, text_target)
    assert len(set(len(r["text"]) for r in RECORDS)) > 1  # prompts really differ in length
    assert int(batch.prompts.attention_mask.sum(1).min()) < batch.prompts.input_ids.shape[1]
    fast_loss, fast = loss_and_grads(trainer, batch, fast=True)
    slow_loss, slow = loss_and_grads(trainer, batch, fast=False)
    assert torch.allclose(fast_loss, slow_loss, atol=1e-5)
    assert fast.keys() == slow.keys() and "tag.TestPair" in fast
    for name in fast:
        assert fast[name].abs().sum() > 0
        torch.testing.assert_close(fast[name], slow[name], atol=1e-5, rtol=1e-4)
    # the fast path really skipped the prefix: only the suffix was computed with autograd
    hidden, offset = trainer.hidden_states(batch, fast=True)
    assert offset == batch.split > 0 and hidden.shape[1] == batch.prompts.input_ids.shape[1] - offset


def test_trainable_prefix_disables_the_fast_path(catalog):
    trainer, batch = _trainer("llama", catalog)
    trainer.table.vectors["TestMol"].requires_grad_(True)
    assert trainer.prefix_trainable(batch)
    hidden, offset = trainer.hidden_states(batch, fast=True)
    assert offset == 0 and hidden.shape[1] == batch.prompts.input_ids.shape[1]
    _, grads = loss_and_grads(trainer, batch, fast=True)
    assert grads["tag.TestMol"].abs().sum() > 0


def test_batch_keeps_function_tags_aligned(catalog):
    _, batch = _trainer("llama", catalog)
    starts = batch.prompts.function_start
    assert bool((starts == starts[0]).all())
    assert bool((batch.prompts.readout == batch.prompts.input_ids.shape[1] - 1).all())


def test_moved_batch_carries_the_split_facts_from_the_host(catalog):
    """``TagBatch.to`` reads the split and the prefix's tag rows where the batch was built, so
    the training step needs no device sync for them; they match the tensors."""
    trainer, batch = _trainer("llama", catalog)
    moved = batch.to("cpu")
    assert moved.host_split == int(batch.prompts.function_start.min())
    layout = trainer.table.layout()
    expected = set()
    for name in ("TestMol", "TestText"):  # the domain tags sit before the function tag
        first, p = layout[name]
        expected.update(range(first, first + p))
    assert set(moved.host_prefix_rows) == expected
    first, p = layout["TestPair"]
    assert not set(range(first, first + p)) & set(moved.host_prefix_rows)
    assert not trainer.prefix_trainable(moved)
    trainer.table.vectors["TestText"].requires_grad_(True)
    assert trainer.prefix_trainable(moved)
