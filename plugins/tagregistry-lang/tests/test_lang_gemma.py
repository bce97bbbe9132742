"""The gemma-3-270m base: the GGUF file joined from its PyPI chunk packages, pinned by sha256,
converted once into the model cache and composed like any named base."""

from __future__ import annotations

import importlib.util
import sys
import time

import pytest
import torch

from tagregistry.errors import NotFoundError
from tagregistry.hashing import file_sha256
from tagregistry.models.loading import load_base
from tagregistry_lang import gemma

installed = pytest.mark.skipif(importlib.util.find_spec(gemma.MODULE) is None,
                               reason=f"{gemma.PACKAGE} is not installed (tagregistry-lang[gemma])")


@installed
def test_the_joined_file_has_the_pinned_hash(tmp_path):
    path = gemma.assemble_gguf(tmp_path)
    assert path.name == gemma.GGUF_NAME and path.stat().st_size > 200_000_000
    assert file_sha256(path) == gemma.GGUF_SHA256


def test_a_missing_package_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, gemma.MODULE, None)  # as if not installed
    with pytest.raises(NotFoundError, match=r"pip install 'tagregistry-lang\[gemma\]'"):
        gemma.assemble_gguf(tmp_path)


@installed
@pytest.mark.slow
def test_converted_once_then_loaded_from_the_cache_and_composed(registry):
    base = load_base("gemma-3-270m", dtype="float32")  # joins and converts on first use
    folder = gemma.cache_path()
    assert (folder / "model.safetensors").is_file()
    assert not list(folder.parent.glob("gemma-gguf-*"))  # the joined file is not kept
    assert base.record.model_id == gemma.MODEL_ID and base.record.hidden_size == 640
    assert type(base.model).__name__ == "Gemma3ForCausalLM"
    start = time.perf_counter()
    again = load_base("gemma-3-270m", dtype="float32")
    assert time.perf_counter() - start < 30 and again.record == base.record

    scale = float(base.model.get_input_embeddings().weight.std()) * float(
        base.model.get_input_embeddings().embed_scale)
    generator = torch.Generator().manual_seed(0)
    for name in ("ES", "PT", "Translate"):
        registry.register(name, torch.randn(2, 640, generator=generator) * scale,
                          base=base.record, kind="function" if name == "Translate" else "domain",
                          source={"base_name": "gemma-3-270m"})
    model = registry.compose("ES", "PT", "Translate", dtype="float32")
    assert model.base.record == base.record
    assert isinstance(model.generate(text="Abra el archivo.", max_new_tokens=3), str)
