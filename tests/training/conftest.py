"""Fixtures for training tests: a temporary registry, the in-process test plugin, data files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.molecules import make_molecules

from tagregistry.plugins.manager import Catalog
from tagregistry.registry import Registry
from tagregistry.testing import testing_plugin, tiny_base


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog(extra=[("testing", testing_plugin)])


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Registry:
    monkeypatch.setenv("TAGREGISTRY_HOME", str(tmp_path / "home"))
    reg = Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    yield reg
    reg.close()


@pytest.fixture
def base():
    return tiny_base("llama")


@pytest.fixture
def mol_file(tmp_path: Path) -> Path:
    """Molecules with a regression label (length / 10), a class and a 2-vector."""
    records = []
    for m in make_molecules(96):
        records.append({"mol": m, "label": len(m) / 10, "cls": "abc"[len(m) % 3],
                        "vec": [len(m) / 10, m.count("c1") * 1.0], "text": f"{len(m)} atoms"})
    return write_jsonl(tmp_path / "mols.jsonl", records)


@pytest.fixture
def hyper():
    """``hyper(**overrides)``: small, fast hyper-parameters."""

    def make(**extra) -> dict:
        return {"n_vectors": 3, "batch_size": 8, "max_steps": 6, "lr": 1e-2, **extra}

    return make


@pytest.fixture
def trained_domain(registry: Registry, catalog: Catalog, base, mol_file: Path, hyper, tmp_path):
    """A registered ``TestMol`` domain tag (stage 1) on the tiny Llama base."""
    result = registry.train(
        {"stage": 1, "tag": "TestMol", "data": {"file": str(mol_file), "text_field": "mol"},
         "hyper": hyper()},
        catalog=catalog, base=base, output_dir=tmp_path / "stage1", progress=False,
    )
    return result.records[0]


@pytest.fixture
def pair_file(registry: Registry, catalog: Catalog, base, mol_file: Path, hyper, tmp_path) -> Path:
    """Registered ``TestMol`` and ``TestText`` domain tags (stage 1) and a ``TestPair`` data
    file: 36 (molecule, text) pairs over three molecules, labelled with their total length."""
    text_file = write_jsonl(tmp_path / "text.jsonl", [
        {"text": w} for w in ["a cat sits", "the mat", "le chat", "it binds", "a number"] * 8])
    for tag, data in (("TestMol", {"file": str(mol_file), "text_field": "mol"}),
                      ("TestText", {"file": str(text_file)})):
        registry.train({"stage": 1, "tag": tag, "data": data, "hyper": hyper()}, catalog=catalog,
                       base=base, output_dir=tmp_path / tag, progress=False)
    pairs = zip(["CCO", "N", "c1ccccc1"] * 12, ["a", "bb", "ccc", "d"] * 9, strict=True)
    return write_jsonl(tmp_path / "pair.jsonl",
                       [{"mol": m, "text": t, "label": len(m) + len(t)} for m, t in pairs])


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny models run fastest single-threaded, and other test sessions share the cores."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def local_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama saved as a local model folder (usable as ``base:`` in a recipe)."""
    from tagregistry.testing import tiny_model, tiny_tokenizer

    folder = tmp_path_factory.mktemp("tiny-llama")
    tiny_model("llama", hidden_size=48).save_pretrained(folder)
    tiny_tokenizer().save_pretrained(folder)
    return folder
