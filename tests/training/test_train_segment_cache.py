"""Shared leading segments cached across steps give the fast path's losses and gradients."""

from __future__ import annotations

import pytest
import torch
from support.tiny_trainer import loss_and_grads, pair_trainer

from tagregistry.training.examples import collate_examples
from tagregistry.training.prefix_cache import SegmentCache, mark_shared_segments

#: two molecules shared by several sentences, and one molecule that appears once
RECORDS = [
    {"mol": "CCO", "text": "a cat", "label": 0.3},
    {"mol": "c1ccccc1O", "text": "the protein binds the ligand strongly", "label": -1.0},
    {"mol": "CCO", "text": "it", "label": 2.0},
    {"mol": "c1ccccc1O", "text": "small", "label": 0.7},
    {"mol": "CC(=O)Oc1ccccc1C(=O)O", "text": "once only", "label": 1.1},
    {"mol": "CCO", "text": "the same molecule again, longer", "label": -0.4},
]


def test_marks_only_segments_that_examples_share(catalog):
    _, examples = pair_trainer("llama", catalog, RECORDS)
    assert mark_shared_segments(examples) == 5
    once = examples[4]
    assert once.prefix_length == 0 and once.prefix_key is None
    assert examples[0].prefix_key == examples[2].prefix_key == examples[5].prefix_key
    assert examples[1].prefix_key == examples[3].prefix_key != examples[0].prefix_key
    # the segment ends where the second slot's value begins
    text_start = sorted(v.start for v in examples[0].prompt.values)[1]
    assert examples[0].prefix_length == text_start


@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_cached_segments_give_the_fast_path_gradients(arch, catalog):
    from tagregistry.engine.readout import Readout

    trainer, examples = pair_trainer(arch, catalog, RECORDS, readout=Readout.parse("mean", [1, -1]))
    mark_shared_segments(examples)
    batch = collate_examples(examples, trainer.table.layout(), 1)
    assert batch.segments is not None and None in batch.segments.keys  # one row has none
    plain_loss, plain = loss_and_grads(trainer, batch)
    naive_loss, _ = loss_and_grads(trainer, batch, fast=False)
    trainer.segment_cache = SegmentCache(2**30)
    first_loss, first = loss_and_grads(trainer, batch)
    store = trainer.segment_cache
    assert (store.misses, store.hits, len(store)) == (2, 3, 2)  # 5 rows over 2 segments
    again_loss, again = loss_and_grads(trainer, batch)  # all from the store this time
    assert (store.misses, store.hits) == (2, 8)
    for loss in (first_loss, again_loss, naive_loss):
        torch.testing.assert_close(loss, plain_loss, atol=1e-5, rtol=1e-5)
    for grads in (first, again):
        for name in plain:
            assert plain[name].abs().sum() > 0
            torch.testing.assert_close(grads[name], plain[name], atol=1e-5, rtol=1e-4)
    with torch.no_grad():
        cached = trainer.predict(batch)
        trainer.segment_cache = None
        torch.testing.assert_close(cached, trainer.predict(batch), atol=1e-5, rtol=1e-5)


def test_a_small_store_evicts_and_stays_correct(catalog):
    trainer, examples = pair_trainer("llama", catalog, RECORDS)
    mark_shared_segments(examples)
    layout = trainer.table.layout()
    one, two = collate_examples(examples[:1], layout, 1), collate_examples(examples[1:2], layout, 1)
    sizes = []
    for batch in (one, two):
        trainer.segment_cache = SegmentCache(2**30)
        trainer.predict(batch)
        sizes.append(trainer.segment_cache.bytes)
    trainer.segment_cache = store = SegmentCache(max(sizes) + 1)  # room for one segment only
    expected = [trainer.predict(b) for b in (one, two, one)]
    assert store.misses == 3 and store.evictions == 2 and len(store) == 1
    trainer.segment_cache = None
    for batch, value in zip((one, two, one), expected, strict=True):
        torch.testing.assert_close(value, trainer.predict(batch), atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="positive"):
        SegmentCache(0)


def test_training_with_and_without_the_store_agrees(registry, catalog, base, pair_file, hyper,
                                                    tmp_path):
    results = []
    for mb in (0, 64):
        recipe = {"stage": 3, "tag": "TestPair", "data": {"file": str(pair_file)},
                  "hyper": hyper(segment_cache_mb=mb, readout="mean", readout_layers=[1, -1])}
        results.append(registry.train(recipe, catalog=catalog, base=base, register=False,
                                      output_dir=tmp_path / f"s3-{mb}", progress=False))
    off, on = results
    assert off.metrics.keys() == on.metrics.keys()
    for key, value in off.metrics.items():
        assert on.metrics[key] == pytest.approx(value, rel=1e-3, abs=1e-5), key
    torch.testing.assert_close(on.tensors["TestPair"], off.tensors["TestPair"], atol=1e-4, rtol=1e-3)


def test_collected_features_come_back_in_input_order(catalog):
    from tagregistry.training.features import collect_features

    trainer, examples = pair_trainer("llama", catalog, RECORDS)
    assert len({e.length for e in examples}) > 2  # batches are formed by length
    together = collect_features(trainer, examples, pad_id=1, device="cpu", batch_size=4)
    alone = torch.cat([collect_features(trainer, [e], pad_id=1, device="cpu") for e in examples])
    torch.testing.assert_close(together, alone, atol=1e-5, rtol=1e-5)
