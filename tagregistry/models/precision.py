"""Which dtype the frozen base runs in: bfloat16 where the hardware multiplies it natively.

On a CPU, bf16 pays off only with native bf16 multiply instructions (x86 ``amx_bf16`` or
``avx512_bf16``, Arm ``bf16``): elsewhere PyTorch emulates it and float32 is faster and
exact. The flags are read from ``/proc/cpuinfo`` (detected, not assumed); where that file
does not exist (macOS, Windows) the CPU default stays float32. On CUDA the default is bf16
when the GPU supports it, else float16. ``TAGREGISTRY_DTYPE=float32`` (or ``bfloat16``)
overrides the automatic choice for every load that does not name a dtype.

Only the base's weights change: tag vectors, heads, optimiser state and losses stay
float32 (tags are cast when spliced into ``inputs_embeds``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from tagregistry.errors import InputError

if TYPE_CHECKING:
    import torch

    from tagregistry.specs import TagRecord

DTYPE_ENV = "TAGREGISTRY_DTYPE"
AUTO = "auto"
#: cpuinfo flags (x86 ``flags``, Arm ``Features``) that mean native bf16 multiplies
NATIVE_BF16_FLAGS = frozenset({"amx_bf16", "avx512_bf16", "bf16"})
_NAMES = {"float32": "float32", "fp32": "float32", "bfloat16": "bfloat16", "bf16": "bfloat16",
          "float16": "float16", "fp16": "float16", "half": "float16"}


def dtype_name(dtype: Any) -> str:
    """The canonical name (``"float32"``, ``"bfloat16"``, ``"float16"``) of a dtype or alias."""
    name = _NAMES.get(str(dtype).removeprefix("torch.").lower())
    if name is None:
        raise InputError(f"unknown dtype {dtype!r}; use float32, bfloat16 or float16 (or auto)")
    return name


def parse_bf16_flags(cpuinfo: str) -> frozenset[str]:
    """The native-bf16 flags in the text of ``/proc/cpuinfo`` (first ``flags``/``Features`` line)."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() in ("flags", "features"):
            return frozenset(value.split()) & NATIVE_BF16_FLAGS
    return frozenset()


@lru_cache(maxsize=1)
def cpu_bf16_flags() -> frozenset[str]:
    """The native-bf16 flags this CPU reports (empty where ``/proc/cpuinfo`` is absent)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            return parse_bf16_flags(handle.read())
    except OSError:
        return frozenset()


def cpu_bf16_native() -> bool:
    """Whether this CPU multiplies bfloat16 natively."""
    return bool(cpu_bf16_flags())


def on_cpu(device: Any) -> bool:
    """Whether ``device`` is the CPU (Accelerate reports ``"cpu:0"`` under DDP)."""
    return str(device).split(":")[0] == "cpu"


def automatic_dtype(device: str, cpu_native: bool | None = None) -> torch.dtype:
    """The base's dtype when none is named: ``TAGREGISTRY_DTYPE``, else the hardware's best.

    ``cpu_native`` says whether the CPU multiplies bf16 natively (default: detected).
    """
    import torch

    override = os.environ.get(DTYPE_ENV, "").strip()
    if override and override.lower() != AUTO:
        try:
            return getattr(torch, dtype_name(override))
        except InputError as exc:
            raise InputError(f"{DTYPE_ENV}={override!r}: {exc}") from None
    if on_cpu(device):
        native = cpu_bf16_native() if cpu_native is None else cpu_native
        return torch.bfloat16 if native else torch.float32
    if str(device).startswith("cuda") and torch.cuda.is_available() and not torch.cuda.is_bf16_supported():
        return torch.float16
    return torch.bfloat16


def is_automatic(dtype: Any) -> bool:
    """Whether ``dtype`` leaves the choice to :func:`automatic_dtype` (``None`` or ``"auto"``)."""
    return dtype is None or (isinstance(dtype, str) and dtype.strip().lower() == AUTO)


def resolve_dtype(dtype: Any, device: str) -> torch.dtype:
    """``None``/``"auto"`` -> :func:`automatic_dtype`; a dtype or a name like ``"bf16"``."""
    import torch

    if is_automatic(dtype):
        return automatic_dtype(device)
    if isinstance(dtype, torch.dtype):
        return dtype
    return getattr(torch, dtype_name(dtype))


#: why a function tag with a head trains on a float32 base unless a dtype is named
HEAD_REASON = "a function tag with a head trains in float32 unless a dtype is named"


def training_dtype(requested: Any, has_head: bool) -> Any:
    """The base dtype a training run asks for: ``requested``, except that an automatic choice
    for a function tag with a head is float32 (with the bf16 base the fitted heads lost:
    TPSA test MSE 51.3 against 27.9 in float32, same recipe and tags; docs/results.md)."""
    overridden = os.environ.get(DTYPE_ENV, "").strip().lower() not in ("", AUTO)
    return "float32" if has_head and is_automatic(requested) and not overridden else requested


def why_dtype(dtype: Any, device: str, requested: Any = None) -> str:
    """The chosen dtype with its reason, for training logs and ``predict`` output."""
    name = dtype_name(dtype)
    if not is_automatic(requested):
        return f"{name} (requested)"
    if os.environ.get(DTYPE_ENV, "").strip().lower() not in ("", AUTO):
        return f"{name} ({DTYPE_ENV} is set)"
    if not on_cpu(device):
        return f"{name} (default on {device})"
    flags = sorted(cpu_bf16_flags())
    if flags:
        return f"{name} (the CPU multiplies bf16 natively: {', '.join(flags)})"
    return f"{name} (the CPU has no native bf16 multiply)"


def inference_dtype(trained: dict[str, str | None], device: str) -> tuple[torch.dtype, str]:
    """The dtype to compose in when none is named, and why.

    ``trained`` maps each tag ref to the dtype its base ran in during training (``None``:
    unknown, e.g. imported without provenance). Tags trained on a float32 base move on a bf16
    base (median relative change 1.1 % for the shipped ``<QED>``, 9.5 % for ``<TPSA>``:
    ``docs/results.md``, "bf16 base"), so any of them keeps the base in float32; otherwise the hardware's choice (:func:`automatic_dtype`) applies.
    """
    import torch

    automatic = automatic_dtype(device)
    full = sorted(ref for ref, name in trained.items() if name == "float32")
    if full and automatic != torch.float32:
        return torch.float32, (f"float32: {', '.join(full)} trained on a float32 base (a bf16 base "
                               "would move its predictions; pass dtype='bfloat16' for speed)")
    return automatic, why_dtype(automatic, device)


def trained_dtype(source: dict) -> str | None:
    """The base dtype a tag was trained in, from its record's ``source`` (``None``: unknown).

    Tags trained by tagregistry before the dtype was recorded ran on float32 bases.
    """
    recipe = source.get("recipe") if isinstance(source, dict) else None
    if not isinstance(recipe, dict):
        return None
    name = recipe.get("dtype", "float32")
    return name if name in ("float32", "bfloat16", "float16") else None


def settle_dtype(loaded: Any, records: Iterable[TagRecord], automatic: bool) -> str:
    """Cast a base loaded in float32 for an automatic choice to :func:`inference_dtype`'s
    dtype for the tag ``records`` (the same rounding as loading it so); returns the reason
    for the final dtype."""
    device = str(loaded.device)
    if not automatic:
        return f"{dtype_name(loaded.dtype)} (requested or as loaded)"
    chosen, reason = inference_dtype({r.ref: trained_dtype(r.source) for r in records}, device)
    if chosen != loaded.dtype:
        loaded.model.to(chosen)
    return reason


@contextmanager
def training_attention(model: Any, device: str) -> Iterator[None]:
    """Eager attention while training a bf16 base on a CPU, then the model's own again.

    PyTorch's CPU flash-attention backward is slow in bf16: on the default base a stage-1
    step (16 x 64 tokens) took 3.50 s with SDPA and 2.57 s with eager attention (process CPU
    time, one thread; float32 5.0 s either way; forward passes the same either way). Other
    devices, dtypes and models without ``set_attn_implementation`` are left as they are.
    """
    import torch

    config = getattr(model, "config", None)
    before = getattr(config, "_attn_implementation", None)
    switch = (on_cpu(device) and before == "sdpa"
              and model.get_input_embeddings().weight.dtype == torch.bfloat16
              and hasattr(model, "set_attn_implementation"))
    if switch:
        model.set_attn_implementation("eager")
    try:
        yield
    finally:
        if switch:
            model.set_attn_implementation(before)
