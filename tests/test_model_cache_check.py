"""The converted base-model cache records its files' hashes and is checked before use.

A tiny random model saved the way :func:`tagregistry.models.smollm2.convert` saves the real
base stands in for it; the checks are smollm2's own (``_valid``), so a damaged folder is
rebuilt exactly as the default base's would be.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from tagregistry.cli.main import main
from tagregistry.hashing import file_sha256
from tagregistry.models import smollm2
from tagregistry.models.cache import MODEL_CACHE_ENV, build_once
from tagregistry.models.cache_check import (
    CACHE_META,
    SAMPLE_BLOCK_BYTES,
    SAMPLE_BLOCKS,
    ModelCacheWarning,
    check_cache,
    write_meta,
)
from tagregistry.testing import tiny_model

STAMP = {"format": smollm2.FORMAT, "source": "tiny.gguf", "source_size": 123}
WEIGHTS = "model.safetensors"


def build(folder: Path) -> None:
    """Write a tiny model folder with its metadata, as ``convert`` does."""
    tiny_model("llama", seed=1, hidden_size=256).save_pretrained(folder)
    write_meta(folder, {**STAMP, "model_id": "tiny", "revision": "r", "fingerprint": "f" * 64})


def valid(folder: Path):
    return smollm2._valid(folder, STAMP)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(MODEL_CACHE_ENV, str(tmp_path / "models"))
    target = tmp_path / "models" / "tiny"
    assert build_once(target, valid, build)["fingerprint"] == "f" * 64
    return target


def flip_bit(path: Path, offset: int, *, keep_mtime: bool = False) -> None:
    before = path.stat()
    with path.open("r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)[0]
        handle.seek(offset)
        handle.write(bytes([byte ^ 0x10]))
    if keep_mtime:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def weights_offset(path: Path, key: str) -> int:
    """Byte offset of the middle of tensor ``key`` in a safetensors file."""
    header_size = int.from_bytes(path.read_bytes()[:8], "little")
    header = json.loads(path.read_bytes()[8:8 + header_size])
    start, end = header[key]["data_offsets"]
    return 8 + header_size + (start + end) // 2


def test_hashes_are_recorded_when_written(cache: Path) -> None:
    meta = json.loads((cache / CACHE_META).read_text())
    record = meta["files"][WEIGHTS]
    assert record["sha256"] == file_sha256(cache / WEIGHTS)
    assert record["size"] == (cache / WEIGHTS).stat().st_size > SAMPLE_BLOCKS * SAMPLE_BLOCK_BYTES
    assert set(meta["files"]) >= {"config.json", WEIGHTS}


def test_a_flipped_bit_in_a_layer0_weight_is_caught_and_the_cache_rebuilt(cache: Path) -> None:
    path = cache / WEIGHTS
    original = file_sha256(path)
    flip_bit(path, weights_offset(path, "model.layers.0.self_attn.q_proj.weight"))
    with pytest.warns(ModelCacheWarning, match="damaged .*model.safetensors: content differs"):
        assert valid(cache) is None
    builds = []
    with pytest.warns(ModelCacheWarning):
        build_once(cache, valid, lambda folder: (builds.append(1), build(folder)))
    assert builds == [1] and file_sha256(path) == original
    assert valid(cache) is not None


def test_a_truncated_weights_file_is_caught(cache: Path) -> None:
    path = cache / WEIGHTS
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)
    with pytest.warns(ModelCacheWarning, match="bytes, .* when written"):
        assert valid(cache) is None


def test_damage_the_sampled_check_misses_is_found_by_cache_check(cache: Path, capsys) -> None:
    """A bit flipped between sampled blocks with the file's time put back (what bit rot
    looks like) passes the fast check on load; ``tagregistry cache check`` hashes it all."""
    path = cache / WEIGHTS
    size = path.stat().st_size
    second = (size - SAMPLE_BLOCK_BYTES) // (SAMPLE_BLOCKS - 1)  # where sampled block 1 starts
    offset = (SAMPLE_BLOCK_BYTES + second) // 2  # between blocks 0 and 1
    assert second > SAMPLE_BLOCK_BYTES
    flip_bit(path, offset, keep_mtime=True)
    assert valid(cache) is not None  # the documented limit of the fast check
    [check] = check_cache()
    assert check.problems == [f"{WEIGHTS}: content differs from when it was written (sha256)"]
    assert main(["cache", "check"]) == 1
    out = capsys.readouterr().out
    assert f"DAMAGED  tiny/{WEIGHTS}: content differs" in out and "delete the damaged" in out


def test_a_touched_but_unchanged_file_is_hashed_once_then_trusted(cache: Path, capsys) -> None:
    path = cache / WEIGHTS
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert valid(cache) is not None
    meta = json.loads((cache / CACHE_META).read_text())
    assert meta["files"][WEIGHTS]["mtime_ns"] == path.stat().st_mtime_ns
    assert main(["cache", "check", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["folders"][0]["problems"] == []


def test_a_cache_written_before_hashes_gets_them_on_first_load(cache: Path) -> None:
    meta = json.loads((cache / CACHE_META).read_text())
    del meta["files"]
    (cache / CACHE_META).write_text(json.dumps(meta))
    assert check_cache()[0].note is not None
    assert valid(cache) is not None
    assert json.loads((cache / CACHE_META).read_text())["files"][WEIGHTS]["sha256"]


def test_the_rebuilt_model_loads_with_the_original_weights(cache: Path) -> None:
    from transformers import AutoModelForCausalLM

    path = cache / WEIGHTS
    flip_bit(path, weights_offset(path, "model.embed_tokens.weight"))
    with pytest.warns(ModelCacheWarning):
        build_once(cache, valid, build)
    loaded = AutoModelForCausalLM.from_pretrained(cache)
    expected = tiny_model("llama", seed=1, hidden_size=256)
    assert torch.equal(loaded.model.embed_tokens.weight, expected.model.embed_tokens.weight)
