"""A base model from a Hub id loads safetensors only, unless the user opts out.

The repo lives on the local test Hub server; transformers downloads it through
``huggingface_hub`` exactly as from huggingface.co.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from huggingface_hub import HfApi

from tagregistry.errors import NotFoundError
from tagregistry.models.loading import load_base
from tagregistry.plugins.manager import Catalog
from tagregistry.testing import tiny_model, tiny_tokenizer


def _upload(repo_id: str, folder: Path) -> None:
    api = HfApi()
    api.create_repo(repo_id, exist_ok=True)
    api.upload_folder(repo_id=repo_id, folder_path=str(folder))


@pytest.fixture
def pickle_repo(repo_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A Hub repo whose only weights are ``pytorch_model.bin`` (pickle)."""
    monkeypatch.setenv("TAGREGISTRY_MODEL_CACHE", str(tmp_path / "models"))
    folder = tmp_path / "upload"
    model = tiny_model("llama", seed=7)
    model.config.save_pretrained(folder)
    tiny_tokenizer().save_pretrained(folder)
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    _upload(repo_id, folder)
    return repo_id


def test_pickle_only_repo_is_refused_by_default(pickle_repo: str, hub) -> None:
    """Refused without unpickling and without asking the Hub to convert the weights."""
    unknown, requests = len(hub.state.unknown), len(hub.state.requests)
    with pytest.raises(NotFoundError) as info:
        load_base(pickle_repo, catalog=Catalog())
    message = str(info.value)
    assert f"cannot load base model {pickle_repo!r}" in message
    assert "use_safetensors=False if you trust it" in message
    assert hub.state.unknown[unknown:] == []  # e.g. GET .../commits/main of the conversion bot
    assert not any("pytorch_model.bin" in path for _, path in hub.state.requests[requests:])


def test_pickle_only_repo_loads_after_opting_out(pickle_repo: str) -> None:
    base = load_base(pickle_repo, catalog=Catalog(), use_safetensors=False)
    weight = base.model.get_input_embeddings().weight
    expected = tiny_model("llama", seed=7).get_input_embeddings().weight
    assert torch.equal(weight, expected.to(weight.dtype))  # in the automatic dtype
    assert base.record.model_id == pickle_repo


def test_safetensors_repo_loads(repo_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGREGISTRY_MODEL_CACHE", str(tmp_path / "models"))
    folder = tmp_path / "upload"
    tiny_model("llama", seed=8).save_pretrained(folder)
    tiny_tokenizer().save_pretrained(folder)
    _upload(repo_id, folder)
    base = load_base(repo_id, catalog=Catalog())
    weight = base.model.get_input_embeddings().weight
    expected = tiny_model("llama", seed=8).get_input_embeddings().weight
    assert torch.equal(weight, expected.to(weight.dtype))  # in the automatic dtype
