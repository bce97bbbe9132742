"""End to end on the real embedded default base (converted once per session)."""

from __future__ import annotations

import time

import pytest

from tagregistry.models import smollm2
from tagregistry.models.loading import load_base

pytestmark = pytest.mark.slow


# single, batched and prefix-shared predictions agree to rounding: float32 to 1e-4; a bf16
# base rounds each layer's output to 8 bits of mantissa, and left padding changes the order
# of its sums, so there they agree to 10 % of the label scale (0.2)
@pytest.mark.parametrize(("dtype", "tolerance"), [("float32", 1e-4), ("bfloat16", 0.02)])
def test_default_base_converts_composes_and_predicts(dtype, tolerance, registry, catalog,
                                                     register_tags):
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
    model = registry.compose("TestMol", "TestScore", "TestDescribe", catalog=catalog, dtype=dtype)
    assert model.metadata["base"]["fingerprint"] == base.record.fingerprint
    assert str(model.base.dtype) == f"torch.{dtype}"
    value = model.predict("TestScore", mol="CCO")
    assert isinstance(value, float)
    batch = model.predict_batch([{"mol": "CCO"}, {"mol": "c1ccccc1O"}], "TestScore")
    assert batch[0] == pytest.approx(value, abs=tolerance)
    many = model.predict_many(["TestScore"], mol="CCO")
    assert many["TestScore"] == pytest.approx(value, abs=tolerance)
    text = model.generate("TestDescribe", mol="CCO", max_new_tokens=5)
    assert isinstance(text, str)
