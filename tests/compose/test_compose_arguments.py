"""compose / predict_many / load_base arguments: clear errors instead of misleading ones.

Each case was a rough edge: an unknown ``compose`` keyword raised ``TypeError`` (or was
ignored for a loaded base), unknown ``slot_domains`` keys were ignored, ``predict_many("QED")``
said "function 'Q' is not composed", a folder without a model was "not a local directory",
and pickle weights were loaded from folders and Hub ids without asking.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tagregistry.errors import InputError, NotFoundError
from tagregistry.models.cache import model_cache_dir
from tagregistry.models.loading import load_base
from tagregistry.testing import tiny_base, tiny_model, tiny_tokenizer
from tagregistry.training.recipe import load_recipe
from tagregistry.training.runner import default_output_dir


@pytest.fixture
def composed(registry, catalog, register_tags):
    base = tiny_base()
    register_tags(base, ["TestMol", "TestScore", "TestVector"])
    return base


def test_unknown_compose_keyword_with_a_named_base(registry, catalog, register_tags) -> None:
    base = load_base("tiny-gpt2", catalog=catalog)
    register_tags(base, ["TestMol", "TestScore"])
    with pytest.raises(InputError, match=r"unknown option\(s\) 'slot_domain' for base 'tiny-gpt2': "
                                         r"its loader takes no options"):
        registry.compose("TestMol", "TestScore", base="tiny-gpt2", catalog=catalog,
                         slot_domain={"mol": "TestMol"})


def test_unknown_compose_keyword_with_a_loaded_base(registry, catalog, composed) -> None:
    with pytest.raises(InputError, match=r"unknown option\(s\) 'devcie': the base is an already loaded"):
        registry.compose("TestMol", "TestScore", base=composed, catalog=catalog, devcie="cpu")


def test_unknown_compose_keyword_with_a_hub_id(registry, catalog) -> None:
    with pytest.raises(InputError, match=r"unknown option\(s\) 'progres' for base 'org/model'"):
        registry.compose("TestMol", base="org/model", catalog=catalog, progres=False)


def test_unknown_slot_domains_key(registry, catalog, composed) -> None:
    with pytest.raises(InputError, match=r"slot_domains names slot\(s\) 'smiles', but the composed "
                                         r"functions \(TestScore\) have 'mol'"):
        registry.compose("TestMol", "TestScore", base=composed, catalog=catalog,
                         slot_domains={"smiles": "TestMol"})
    with pytest.raises(InputError, match="slot_domains must map slot names to domain tags"):
        registry.compose("TestMol", "TestScore", base=composed, catalog=catalog,
                         slot_domains=["TestMol"])
    model = registry.compose("TestMol", "TestScore", base=composed, catalog=catalog,
                             slot_domains={"mol": "TestMol"})
    assert model.metadata["functions"]["TestScore"]["slots"] == {"mol": "TestMol"}


def test_predict_many_takes_one_name_as_a_string(registry, catalog, composed) -> None:
    model = registry.compose("TestMol", "TestScore", "TestVector", base=composed, catalog=catalog)
    one = model.predict_many("TestScore", mol="CCO")
    assert list(one) == ["TestScore"]
    assert one["TestScore"] == pytest.approx(model.predict("TestScore", mol="CCO"), abs=1e-5)
    with pytest.raises(InputError, match="functions must be a list of function names, got int"):
        model.predict_many(3, mol="CCO")
    with pytest.raises(InputError, match="function must be a function name such as 'QED', got list"):
        model.predict(["TestScore"], mol="CCO")


# -- bases from folders ------------------------------------------------------------------
def test_folder_without_a_model(tmp_path: Path, catalog) -> None:
    (tmp_path / "notes.txt").write_text("not a model")
    with pytest.raises(NotFoundError, match="has no config.json, so it is not a saved Hugging Face model"):
        load_base(str(tmp_path), catalog=catalog)


@pytest.mark.parametrize("name", ["./no-such-folder", "/no/such/folder", "~/no-such-folder-x"])
def test_missing_folder(name: str, catalog) -> None:
    with pytest.raises(NotFoundError, match="does not exist") as info:
        load_base(name, catalog=catalog)
    assert "Hugging Face Hub" not in str(info.value)


def test_file_instead_of_a_folder(tmp_path: Path, catalog) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF")
    with pytest.raises(NotFoundError, match="is a file, not a model folder"):
        load_base(str(path), catalog=catalog)


@pytest.fixture
def pickle_only(tmp_path: Path) -> Path:
    """A model folder with ``pytorch_model.bin`` (pickle) weights and no safetensors."""
    folder = tmp_path / "pickled"
    model = tiny_model("llama", seed=5)
    model.config.save_pretrained(folder)
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    tiny_tokenizer().save_pretrained(folder)
    return folder


def test_pickle_weights_need_an_explicit_opt_out(pickle_only: Path, catalog) -> None:
    with pytest.raises(NotFoundError, match=r"no \.safetensors weights \(found pytorch_model.bin\).*"
                                            "use_safetensors=False if you trust the file"):
        load_base(str(pickle_only), catalog=catalog)
    base = load_base(str(pickle_only), catalog=catalog, use_safetensors=False)
    weight = base.model.get_input_embeddings().weight
    expected = tiny_model("llama", seed=5).get_input_embeddings().weight
    assert torch.equal(weight, expected.to(weight.dtype))  # in the automatic dtype


# -- TAGREGISTRY_HOME pointing at a file -------------------------------------------------
def test_home_that_is_a_file(tmp_path: Path, monkeypatch) -> None:
    home = tmp_path / "home-file"
    home.write_text("")
    monkeypatch.setenv("TAGREGISTRY_HOME", str(home))
    recipe = load_recipe({"stage": 1, "tag": "TestMol", "data": {"file": "x.txt"}})
    with pytest.raises(InputError, match="point TAGREGISTRY_HOME at a folder"):
        default_output_dir(recipe)
    monkeypatch.setenv("TAGREGISTRY_MODEL_CACHE", str(home / "below"))
    with pytest.raises(InputError, match=f"TAGREGISTRY_MODEL_CACHE={home / 'below'} cannot be used: "
                                         f"{home} is a file, not a folder"):
        model_cache_dir()


@pytest.mark.parametrize(("device", "message"), [
    ("quantum", "unknown device 'quantum'; use cpu, cuda, cuda:N or mps"),
    *([] if torch.cuda.is_available() else [("cuda:1", "CUDA is not available on this machine")]),
])
def test_an_unusable_device_is_one_error(catalog, device: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_base("tiny-gpt2", catalog=catalog, device=device)
