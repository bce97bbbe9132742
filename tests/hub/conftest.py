"""Hub tests: a local Hub API server is started at import, before huggingface_hub loads."""

from __future__ import annotations

import itertools
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import hub_server  # noqa: E402

SERVER = hub_server.bootstrap()

import pytest  # noqa: E402

HIDDEN = 16
_COUNTER = itertools.count()


@pytest.fixture(scope="session", autouse=True)
def _stop_hub_server():
    yield
    SERVER.stop()


@pytest.fixture
def hub() -> hub_server.HubServer:
    """The running test Hub; its knobs are reset after each test."""
    yield SERVER
    SERVER.state.lfs_patterns = ()
    SERVER.state.truncate = {}


@pytest.fixture
def repo_id(request: pytest.FixtureRequest) -> str:
    """A fresh repo name for this test."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", request.node.name).strip("-")[:60]
    return f"lab/{slug}-{next(_COUNTER)}"


@pytest.fixture
def base():
    from tagregistry.specs import BaseModelRecord

    return BaseModelRecord(
        model_id="tiny/llama-test", revision="main", hidden_size=HIDDEN, fingerprint="ab" * 32
    )


def _new_registry(path: Path):
    from tagregistry.registry import Registry

    return Registry(f"sqlite:///{path}")


@pytest.fixture
def registry(tmp_path: Path):
    reg = _new_registry(tmp_path / "r.db")
    yield reg
    reg.close()


@pytest.fixture
def other_registry(tmp_path: Path):
    """A second, empty registry (the one that pulls)."""
    reg = _new_registry(tmp_path / "other.db")
    yield reg
    reg.close()


@pytest.fixture
def tagged(registry, base):
    """``registry`` holding a domain tag SMILES@1 and a function tag QED@1 with a head."""
    import torch

    from tagregistry.specs import HeadSpec
    from tagregistry.store.tag_store import HeadPayload

    gen = torch.Generator().manual_seed(0)
    registry.register(
        "SMILES", torch.randn(3, HIDDEN, generator=gen), base=base, kind="domain",
        description="molecules as SMILES", license="mit", metrics={"ppl": 4.5},
        source={"recipe": "smiles-stage1"}, data_hash="d" * 64,
    )
    head = HeadPayload(
        spec=HeadSpec(type="regression", output_dim=1),
        tensors={"linear.weight": torch.randn(1, HIDDEN, generator=gen), "linear.bias": torch.zeros(1)},
        config={"mean": 0.6, "std": 0.2},
    )
    registry.register(
        "QED", torch.randn(2, HIDDEN, generator=gen), base=base, kind="function", head=head,
        license="apache-2.0", metrics={"mse": 0.0123},
    )
    return registry
