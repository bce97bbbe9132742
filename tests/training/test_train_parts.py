"""Data loading and splits, length bucketing, LR schedule, metrics, checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from tagregistry.errors import InputError
from tagregistry.heads import metrics
from tagregistry.plugins.hookspecs import hookimpl
from tagregistry.plugins.manager import Catalog
from tagregistry.specs import DatasetSpec
from tagregistry.training import batch_plans, checkpoint
from tagregistry.training.data import data_hash, load_splits, random_split, read_file
from tagregistry.training.recipe import DataSource, SplitConfig
from tagregistry.training.schedule import lr_factor


def test_read_csv_jsonl_txt(tmp_path: Path):
    (tmp_path / "a.csv").write_text("smiles,label\nCCO,0.1\nCCN,0.2\n")
    (tmp_path / "a.jsonl").write_text('{"smiles": "CCO", "label": 0.1}\n\n{"smiles": "C", "label": 1}\n')
    (tmp_path / "a.smi").write_text("CCO name1\nCCN name2\n")
    assert read_file(tmp_path / "a.csv")[1] == {"smiles": "CCN", "label": "0.2"}
    assert len(read_file(tmp_path / "a.jsonl")) == 2
    assert read_file(tmp_path / "a.smi") == [{"text": "CCO"}, {"text": "CCN"}]
    (tmp_path / "bad.jsonl").write_text("{oops\n")
    with pytest.raises(InputError, match="bad.jsonl:1"):
        read_file(tmp_path / "bad.jsonl")
    (tmp_path / "a.parquet").write_text("x")
    with pytest.raises(InputError, match="unsupported"):
        read_file(tmp_path / "a.parquet")


def test_random_split_is_seeded_and_disjoint():
    records = [{"i": i} for i in range(100)]
    a = random_split(records, SplitConfig(validation=0.1, test=0.2), seed=3)
    b = random_split(records, SplitConfig(validation=0.1, test=0.2), seed=3)
    assert a.sizes() == {"train": 70, "validation": 10, "test": 20}
    assert a == b and data_hash(a) == data_hash(b)
    ids = [r["i"] for r in a.train + a.validation + a.test]
    assert sorted(ids) == list(range(100))
    assert data_hash(random_split(records, SplitConfig(), seed=4)) != data_hash(a)


CALLS: list[dict] = []


def _loader(split: str = "train", limit: int | None = None, seed: int = 0) -> list[dict]:
    CALLS.append({"split": split, "limit": limit, "seed": seed})
    n = {"train": 40, "validation": 8, "test": 8}[split]
    rows = [{"smiles": f"C{'C' * i}", "label": float(i), "split": split} for i in range(n)]
    return rows[:limit] if limit else rows


class _DataPlugin:
    @hookimpl
    def tagregistry_datasets(self):
        return [DatasetSpec(name="toy-data", loader=f"{__name__}:_loader", license="CC0-1.0")]


def test_plugin_dataset_uses_its_own_splits():
    catalog = Catalog(extra=[("toy", _DataPlugin())])
    CALLS.clear()
    splits = load_splits(DataSource(dataset="toy-data", limit=20), SplitConfig(), 7, catalog)
    assert splits.sizes() == {"train": 20, "validation": 5, "test": 5}
    assert {c["split"] for c in CALLS} == {"train", "validation", "test"}
    assert all(c["seed"] == 7 for c in CALLS)
    assert {r["split"] for r in splits.test} == {"test"}


def test_length_buckets_cut_padding_and_are_deterministic():
    lengths = [(i * 37) % 90 + 5 for i in range(512)]
    plan = batch_plans.epoch_batches(lengths, 16, seed=0, epoch=0, bucket_size=8)
    assert plan == batch_plans.epoch_batches(lengths, 16, seed=0, epoch=0, bucket_size=8)
    assert plan != batch_plans.epoch_batches(lengths, 16, seed=0, epoch=1, bucket_size=8)
    assert all(len(b) == 16 for b in plan) and len(plan) == 32
    unbucketed = batch_plans.epoch_batches(lengths, 16, seed=0, epoch=0, bucket_size=1)
    assert batch_plans.padding_fraction(lengths, plan) < 0.1
    assert batch_plans.padding_fraction(lengths, unbucketed) > 3 * batch_plans.padding_fraction(lengths, plan)


def test_shard_splits_a_global_batch():
    assert batch_plans.shard([1, 2, 3, 4], 0, 2) == [1, 2]
    assert batch_plans.shard([1, 2, 3, 4], 1, 2) == [3, 4]
    with pytest.raises(InputError, match="multiple"):
        batch_plans.shard([1, 2, 3], 0, 2)
    with pytest.raises(InputError, match="batch_size"):
        batch_plans.epoch_batches([1, 2], 4, 0, 0)


def test_cosine_schedule_with_warmup():
    total = 100
    factors = [lr_factor(s, total, 0.03, "cosine") for s in range(total)]
    assert factors[:3] == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert factors[3] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(factors[3:], factors[4:], strict=False))
    assert factors[-1] < 0.01
    assert lr_factor(50, total, 0.0, "constant") == 1.0
    assert lr_factor(99, total, 0.0, "linear") == pytest.approx(0.01)


def test_metrics():
    assert metrics.mse([1, 2], [1, 4]) == 2.0
    assert metrics.mae([1, 2], [1, 4]) == 1.0
    assert metrics.pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert metrics.r2([1, 2, 3], [1, 2, 3]) == 1.0
    with pytest.raises(InputError, match="unknown metric"):
        metrics.get_metric("f1-ish")


def test_checkpoint_round_trip_and_guard(tmp_path: Path):
    param = torch.nn.Parameter(torch.randn(3, 4))
    opt = torch.optim.AdamW([param], lr=0.1)
    param.sum().backward()
    opt.step()
    state = checkpoint.TrainState(step=5, params={"tag.X": param.detach()}, optimizer=opt.state_dict(),
                                  recipe_fingerprint="abc", history=[{"step": 5, "loss": 1.0}],
                                  rng=checkpoint.capture_rng())
    for step in (5, 10, 15):
        state.step = step
        checkpoint.save_checkpoint(tmp_path, state, keep=2)
    assert sorted(p.name for p in tmp_path.glob("checkpoint-*")) == [
        "checkpoint-00000010", "checkpoint-00000015"]
    found = checkpoint.latest_checkpoint(tmp_path)
    assert json.loads((tmp_path / "latest.json").read_text())["step"] == 15
    loaded = checkpoint.load_checkpoint(found, "abc")
    assert torch.equal(loaded.params["tag.X"], param.detach())
    other = torch.optim.AdamW([torch.nn.Parameter(param.detach().clone())], lr=0.1)
    other.load_state_dict(loaded.optimizer)
    assert torch.equal(other.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])
    with pytest.raises(checkpoint.CheckpointError, match="different recipe"):
        checkpoint.load_checkpoint(found, "xyz")
    assert checkpoint.latest_checkpoint(tmp_path / "nothing") is None
