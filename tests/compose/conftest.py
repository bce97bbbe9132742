"""Fixtures for composition tests: a temporary registry, the testing plugin, tagged models.

``TAGREGISTRY_HOME`` is a fresh temporary folder per test. The converted default base is
shared by the whole session through ``TAGREGISTRY_MODEL_CACHE`` (kept if already set, so a
developer or CI can reuse one conversion across sessions).
"""

from __future__ import annotations

import os

import pytest
import torch

from tagregistry.engine.readout import Readout
from tagregistry.heads import ClassificationHead, RegressionHead
from tagregistry.plugins.manager import Catalog
from tagregistry.registry import Registry
from tagregistry.specs import HeadSpec
from tagregistry.store.tag_store import HeadPayload
from tagregistry.testing import testing_plugin, tiny_base

TAG_LENGTHS = {"TestMol": 3, "TestMolChars": 2, "TestText": 2, "TestScore": 4, "TestVector": 3,
               "TestClass": 2, "TestDescribe": 3, "TestPair": 2}


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    return os.environ.get("TAGREGISTRY_MODEL_CACHE") or str(tmp_path_factory.mktemp("models"))


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch, model_cache):
    monkeypatch.setenv("TAGREGISTRY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TAGREGISTRY_MODEL_CACHE", model_cache)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog(extra=[("testing", testing_plugin)])


@pytest.fixture
def registry(tmp_path):
    reg = Registry(f"sqlite:///{tmp_path}/r.db")
    yield reg
    reg.close()


def head_payload(name: str, catalog: Catalog, hidden: int, seed: int, config: dict | None = None):
    """A randomly initialised head for function ``name`` as its spec asks (as wide as the
    readout in ``config`` reads)."""
    spec: HeadSpec = catalog.functions[name].head
    cls = RegressionHead if spec.type == "regression" else ClassificationHead
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        head = cls(Readout.from_config(config).width(hidden), spec)
    return HeadPayload(spec=spec, tensors=head.state_dict(), config=config or {})


def register_random(registry, base, catalog, names, seed=0, configs=None, source=None):
    """Register random tags (std like the embeddings) for ``names`` on ``base``."""
    generator = torch.Generator().manual_seed(seed)
    scale = float(base.model.get_input_embeddings().weight.std())
    records = {}
    for offset, name in enumerate(names):
        kind = "domain" if name in catalog.domains else "function"
        tensor = torch.randn(TAG_LENGTHS[name], base.hidden_size, generator=generator) * scale
        head = None
        if kind == "function" and catalog.functions[name].head is not None:
            head = head_payload(name, catalog, base.hidden_size, seed + offset,
                                (configs or {}).get(name))
        records[name] = registry.register(
            name, tensor, base=base.record, kind=kind, head=head,
            source=(source or {}).get(name, {}),
        )
    return records


@pytest.fixture
def tagged(registry, catalog):
    """``tagged(arch, *names)`` -> a TaggedModel on a tiny ``arch`` with random tags."""

    def build(arch="llama", *names, seed=0, configs=None, source=None):
        names = names or ("TestMol", "TestScore")
        base = tiny_base(arch)
        register_random(registry, base, catalog, names, seed, configs, source)
        return registry.compose(*names, base=base, catalog=catalog)

    return build


@pytest.fixture
def register_tags(registry, catalog):
    """``register_tags(base, names, seed=0, configs=None, source=None)`` -> records."""

    def register(base, names, seed=0, configs=None, source=None):
        return register_random(registry, base, catalog, names, seed, configs, source)

    return register
