"""Base loading: local directories, Hub ids offline, fingerprints, freezing."""

from __future__ import annotations

import json

import pytest
import torch

from tagregistry.errors import NotFoundError
from tagregistry.models import fingerprint as fp
from tagregistry.models.cache import atomic_directory, model_cache_dir
from tagregistry.models.loading import LoadedBase, load_base
from tagregistry.testing import tiny_model, tiny_tokenizer


@pytest.fixture
def local_model(tmp_path):
    folder = tmp_path / "tiny-qwen"
    tiny_model("qwen2", seed=3).save_pretrained(folder)
    tiny_tokenizer().save_pretrained(folder)
    return folder


def test_load_local_directory(local_model, catalog):
    base = load_base(str(local_model), catalog=catalog)
    assert base.record.model_id == str(local_model.resolve())
    assert base.record.revision == "local" and base.record.hidden_size == 32
    assert base.model.training is False
    assert not any(p.requires_grad for p in base.model.parameters())
    assert base.record.fingerprint == fp.embedding_fingerprint(tiny_model("qwen2", seed=3))
    cache = json.loads((model_cache_dir() / "fingerprints.json").read_text())
    assert base.record.fingerprint in cache.values()


def test_fingerprint_is_read_from_cache(local_model, catalog, monkeypatch):
    first = load_base(str(local_model), catalog=catalog).record.fingerprint
    fp._memo.clear()
    monkeypatch.setattr(fp, "embedding_fingerprint", lambda model: pytest.fail("re-hashed"))
    assert load_base(str(local_model), catalog=catalog).record.fingerprint == first


def test_fingerprint_changes_with_weights_and_ignores_dtype():
    model = tiny_model("llama", seed=0)
    same = fp.embedding_fingerprint(model)
    assert fp.embedding_fingerprint(model.to(torch.bfloat16)) == same
    assert fp.embedding_fingerprint(tiny_model("llama", seed=1)) != same


def test_unknown_hub_id_offline_is_a_clear_error(catalog):
    with pytest.raises(NotFoundError, match="not a named base .*smollm2-135m"):
        load_base("no-such-org/no-such-model", catalog=catalog)


def test_from_model_freezes():
    model = tiny_model("gpt2").train()
    base = LoadedBase.from_model(model, tiny_tokenizer(), model_id="x")
    assert base.model.training is False and base.max_length == 256 and base.name == "x"


def test_atomic_directory_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "cache" / "model"
    with pytest.raises(RuntimeError), atomic_directory(target) as tmp:
        (tmp / "half.bin").write_bytes(b"x")
        raise RuntimeError("interrupted")
    assert not target.exists() and list(target.parent.iterdir()) == []
    with atomic_directory(target) as tmp:
        (tmp / "done.bin").write_bytes(b"x")
    assert (target / "done.bin").exists()


def test_default_dtype_follows_the_device_and_the_cpu(monkeypatch) -> None:
    import torch

    from tagregistry.models.precision import automatic_dtype, cpu_bf16_native, resolve_dtype

    monkeypatch.delenv("TAGREGISTRY_DTYPE", raising=False)
    native = torch.bfloat16 if cpu_bf16_native() else torch.float32
    assert resolve_dtype(None, "cpu") is native
    assert resolve_dtype("auto", "cpu:0") is native  # Accelerate's name under DDP
    assert automatic_dtype("cpu", cpu_native=False) is torch.float32
    assert automatic_dtype("cpu:0", cpu_native=True) is torch.bfloat16
    assert resolve_dtype("bf16", "cpu") is torch.bfloat16
    assert resolve_dtype(torch.float32, "cpu") is torch.float32
