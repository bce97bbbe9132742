"""End to end on the real embedded default base (converted once per session)."""

from __future__ import annotations

import time

import pytest

from tagregistry.models import smollm2
from tagregistry.models.loading import load_base

pytestmark = pytest.mark.slow


def test_default_base_converts_composes_and_predicts(registry, catalog, register_tags):
    base = load_base(catalog=catalog)  # converts the GGUF file on first use
    folder = smollm2.cache_path()
    assert (folder / "model.safetensors").is_file() and (folder / smollm2.META_FILE).is_file()
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".tmp-")]
    assert base.record.model_id == smollm2.MODEL_ID and base.record.hidden_size == 576
    start = time.perf_counter()
    again = load_base(catalog=catalog)
    assert time.perf_counter() - start < 15  # cached: no second conversion
    assert again.record == base.record

    register_tags(base, ["TestMol", "TestScore", "TestDescribe"],
                  configs={"TestScore": {"label_mean": [0.5], "label_std": [0.2]}})
    model = registry.compose("TestMol", "TestScore", "TestDescribe", catalog=catalog)
    assert model.metadata["base"]["fingerprint"] == base.record.fingerprint
    value = model.predict("TestScore", mol="CCO")
    assert isinstance(value, float)
    batch = model.predict_batch([{"mol": "CCO"}, {"mol": "c1ccccc1O"}], "TestScore")
    assert batch[0] == pytest.approx(value, abs=1e-4)
    many = model.predict_many(["TestScore"], mol="CCO")
    assert many["TestScore"] == pytest.approx(value, abs=1e-4)
    text = model.generate("TestDescribe", mol="CCO", max_new_tokens=5)
    assert isinstance(text, str)
