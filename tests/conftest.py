"""Root fixtures: an isolated ``TAGREGISTRY_HOME``, temp registries and a PostgreSQL server."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Hub test server bootstrap: it must run before anything imports huggingface_hub or
# transformers (the client reads HF_ENDPOINT at import), so it comes before everything else.
# Keep this file free of heavy imports at module level (no torch, transformers or rdkit).
sys.path.insert(0, str(Path(__file__).parent / "hub"))
import hub_server  # noqa: E402

hub_server.bootstrap()

# Never touch the user's real registry: every test (and every subprocess it starts) sees a
# throwaway home, unless the test runner chose one explicitly.
if not os.environ.get("TAGREGISTRY_HOME"):
    _SESSION_HOME = tempfile.mkdtemp(prefix="tagregistry-test-home-")
    os.environ["TAGREGISTRY_HOME"] = _SESSION_HOME
    atexit.register(shutil.rmtree, _SESSION_HOME, ignore_errors=True)
# Nor the user's model cache: one throwaway cache per session unless the runner chose one
# (set TAGREGISTRY_MODEL_CACHE to reuse a converted default base across sessions).
if not os.environ.get("TAGREGISTRY_MODEL_CACHE"):
    _SESSION_MODELS = tempfile.mkdtemp(prefix="tagregistry-test-models-")
    os.environ["TAGREGISTRY_MODEL_CACHE"] = _SESSION_MODELS
    atexit.register(shutil.rmtree, _SESSION_MODELS, ignore_errors=True)
# No test reaches the network: data files a test needs come from the user's data cache (filled
# by `make install`, i.e. `tagregistry data fetch`); a missing one fails fast against a closed
# local port instead of downloading (the fetch path itself is tested against a local server).
os.environ["TAGREGISTRY_PYPI_INDEX"] = "http://127.0.0.1:9/simple"
os.environ.pop("PIP_INDEX_URL", None)
os.environ.pop("TAGREGISTRY_DB_URL", None)
os.environ.pop("TAGREGISTRY_STRICT_PLUGINS", None)
os.environ.pop("TAGREGISTRY_DISABLE_PLUGINS", None)

sys.path.insert(0, str(Path(__file__).parent))

import pytest  # noqa: E402
from support.postgres import PostgresServer, unavailable_reason  # noqa: E402

HIDDEN = 8


@pytest.fixture
def base_record():  # -> BaseModelRecord
    """A small base model record (hidden size 8) that tags can be bound to."""
    from tagregistry.specs import BaseModelRecord

    return BaseModelRecord(model_id="tiny-test", hidden_size=HIDDEN, fingerprint="0" * 64)


@pytest.fixture
def other_base():  # -> BaseModelRecord
    """A second base model with the same hidden size."""
    from tagregistry.specs import BaseModelRecord

    return BaseModelRecord(model_id="tiny-other", hidden_size=HIDDEN, fingerprint="1" * 64)


@pytest.fixture
def registry(tmp_path: Path):  # -> Iterator[Registry]
    """A fresh registry in a temporary SQLite file."""
    from tagregistry.registry import Registry

    reg = Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    yield reg
    reg.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """A PostgreSQL 15 server for the whole session (skipped with the reason if impossible)."""
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    server = PostgresServer()
    atexit.register(server.stop)  # also when the session dies before fixture teardown
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    """URL of a new, empty PostgreSQL database."""
    return pg_server.create_database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty registry database: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def db_registry(db_url: str):  # -> Iterator[Registry]
    """A fresh registry on each backend (see ``db_url``)."""
    from tagregistry.registry import Registry

    reg = Registry(db_url)
    yield reg
    reg.close()
