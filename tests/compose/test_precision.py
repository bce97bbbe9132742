"""The base's dtype: detected native bf16 on CPUs, overrides, and float32 tags and heads."""

from __future__ import annotations

import pytest
import torch

from tagregistry.errors import InputError
from tagregistry.models.precision import (
    automatic_dtype,
    dtype_name,
    parse_bf16_flags,
    resolve_dtype,
    why_dtype,
)

INTEL = "processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16 amx_bf16 amx_tile\n"
AMD_NO_BF16 = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f\n"
ARM = "processor\t: 0\nFeatures\t: fp asimd bf16 i8mm\n"


def test_native_bf16_flags_are_read_from_cpuinfo() -> None:
    assert parse_bf16_flags(INTEL) == {"avx512_bf16", "amx_bf16"}
    assert parse_bf16_flags(AMD_NO_BF16) == frozenset()
    assert parse_bf16_flags(ARM) == {"bf16"}
    assert parse_bf16_flags("") == frozenset()


def test_environment_overrides_the_automatic_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGREGISTRY_DTYPE", "fp32")
    assert automatic_dtype("cpu", cpu_native=True) is torch.float32
    assert "TAGREGISTRY_DTYPE is set" in why_dtype(torch.float32, "cpu")
    monkeypatch.setenv("TAGREGISTRY_DTYPE", "bf16")
    assert automatic_dtype("cpu", cpu_native=False) is torch.bfloat16
    monkeypatch.setenv("TAGREGISTRY_DTYPE", "int8")
    with pytest.raises(InputError, match="TAGREGISTRY_DTYPE='int8'"):
        automatic_dtype("cpu")


def test_names_and_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAGREGISTRY_DTYPE", raising=False)
    assert dtype_name(torch.bfloat16) == "bfloat16"
    assert dtype_name("HALF") == "float16"
    with pytest.raises(InputError, match="float32, bfloat16 or float16"):
        resolve_dtype("double", "cpu")
    assert why_dtype(torch.float32, "cpu", requested="float32") == "float32 (requested)"
    assert "cuda" in why_dtype(torch.bfloat16, "cuda:0")


def test_training_attention_is_eager_only_for_a_bf16_base_on_cpu() -> None:
    from tagregistry.models.precision import training_attention
    from tagregistry.testing import tiny_model

    model = tiny_model("llama")
    model.set_attn_implementation("sdpa")
    with training_attention(model, "cpu"):
        assert model.config._attn_implementation == "sdpa"  # float32: unchanged
    model.to(torch.bfloat16)
    with training_attention(model, "cpu"):
        assert model.config._attn_implementation == "eager"
    assert model.config._attn_implementation == "sdpa"  # restored
    with training_attention(model, "cuda:0"):
        assert model.config._attn_implementation == "sdpa"
