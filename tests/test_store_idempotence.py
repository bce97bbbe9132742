"""Property: importing exported files any number of times, in any order, registers each
distinct (name, bytes) once; versions count only the new ones (model-based, hypothesis)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagregistry.registry import Registry

HIDDEN = 8
POOL = [("QED", 1.0), ("QED", 2.0), ("LogP", 1.0), ("QED", 3.0)]
_EXAMPLE = itertools.count()


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """One exported file per POOL entry (distinct bytes per entry)."""
    from tagregistry.specs import BaseModelRecord

    folder = tmp_path_factory.mktemp("exports")
    base = BaseModelRecord(model_id="tiny-test", hidden_size=HIDDEN, fingerprint="0" * 64)
    paths = []
    with Registry(f"sqlite:///{folder / 'source.db'}") as source:
        for i, (name, value) in enumerate(POOL):
            record = source.register(name, np.full((2, HIDDEN), value, np.float32), base=base,
                                     kind="function", source={"i": i})
            paths.append(source.export(record.ref, folder / f"{i}.safetensors"))
    return paths


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(batches=st.lists(st.lists(st.integers(0, len(POOL) - 1), min_size=1, max_size=4),
                        min_size=1, max_size=5))
def test_imports_register_each_distinct_tag_once(exported, tmp_path: Path, batches) -> None:
    with Registry(f"sqlite:///{tmp_path / f'r{next(_EXAMPLE)}.db'}") as reg:
        version_of: dict[int, tuple[str, int]] = {}
        counters: dict[str, int] = {}
        for batch in batches:
            records = reg.import_files([exported[i] for i in batch])
            for i, record in zip(batch, records, strict=True):
                name = POOL[i][0]
                if i in version_of:
                    assert not records.is_new(record)
                    assert (record.name, record.version) == version_of[i]
                else:
                    counters[name] = counters.get(name, 0) + 1
                    version_of[i] = (name, counters[name])
                    assert records.is_new(record) and record.version == counters[name]
                    assert record.source["imported_from"]["file"] == f"{i}.safetensors"
        for name, count in counters.items():
            assert [r.version for r in reg.versions(name)] == list(range(1, count + 1))
