"""Load a frozen base LLM by name, Hugging Face id or local path: :func:`load_base`.

A named base comes from a plugin's ``BaseModelSpec`` (the built-in ``smollm2-135m`` is the
default). Its loader returns ``(model, tokenizer)`` or ``(model, tokenizer, info)`` where
``info`` may give ``revision``, ``fingerprint`` and ``weights_key`` (a cache key for the
fingerprint). Anything else is passed to ``transformers.AutoModelForCausalLM`` with
``use_safetensors=True`` (no pickle) unless the caller opts out; the usual Hugging Face
environment (``HF_HUB_OFFLINE``, ``HF_HOME``) applies.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagregistry.errors import InputError, PluginError
from tagregistry.models.loaded import LoadedBase, freeze, hidden_size_of, resolve_device
from tagregistry.models.precision import resolve_dtype
from tagregistry.models.pretrained import load_pretrained
from tagregistry.specs import BaseModelRecord

if TYPE_CHECKING:
    import torch

    from tagregistry.plugins.manager import Catalog

DEFAULT_BASE = "smollm2-135m"


def load_base(
    base: str | LoadedBase | tuple[Any, Any] | None = None,
    *,
    dtype: Any = None,
    device: Any = None,
    revision: str | None = None,
    catalog: Catalog | None = None,
    trust_remote_code: bool = False,
    use_safetensors: bool = True,
    **options: Any,
) -> LoadedBase:
    """Load a frozen base model.

    Args:
        base: a named base (``"smollm2-135m"``, the default), a Hugging Face id
            (``"org/name"``), a local directory, an existing :class:`LoadedBase`, or a
            ``(model, tokenizer)`` pair.
        dtype: ``torch.float32``, ``torch.bfloat16``, a name such as ``"bf16"``, or ``None``
            / ``"auto"``: bfloat16 where the hardware multiplies it natively, else float32
            (:mod:`tagregistry.models.precision`).
        device: ``"cpu"``, ``"cuda"``...; default CUDA when available.
        revision: Hub revision (branch, tag or commit) for Hub ids.
        catalog: plugin catalog for named bases (default: the process-wide one).
        trust_remote_code: passed to ``transformers`` for Hub ids and paths.
        use_safetensors: Hub ids and paths load safetensors weights only (never pickle);
            ``False`` also accepts ``pytorch_model.bin`` files — only for weights you trust,
            since unpickling can run code.
        options: passed to a named base's loader (unknown names are an InputError).
    """
    if isinstance(base, LoadedBase | tuple):
        if options:
            raise InputError(
                f"unknown option(s) {', '.join(map(repr, sorted(options)))}: the base is an "
                "already loaded model, and options only go to a named base's loader"
            )
        if isinstance(base, LoadedBase):
            return base
        model, tokenizer = base
        return LoadedBase.from_model(model, tokenizer)
    if base is not None and not isinstance(base, str | Path):
        raise InputError(
            f"base must be a named base, a Hugging Face id, a local folder, a LoadedBase or a "
            f"(model, tokenizer) pair, got {type(base).__name__}"
        )
    name = str(base) if base else DEFAULT_BASE
    device_name = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, device_name)
    if catalog is None:
        from tagregistry.plugins.manager import get_catalog

        catalog = get_catalog()
    if name in catalog.base_models:
        loaded = _load_named(name, catalog, torch_dtype, **options)
    else:
        if options:
            raise InputError(
                f"unknown option(s) {', '.join(map(repr, sorted(options)))} for base {name!r}: a "
                "Hugging Face id or folder takes dtype, device, revision, use_safetensors and "
                "trust_remote_code; other options only go to a named base's loader"
            )
        loaded = load_pretrained(name, catalog, torch_dtype, revision, trust_remote_code,
                                 use_safetensors)
    if device_name != "cpu":
        loaded.model.to(device_name)
    else:
        from tagregistry.models.threads import configure_cpu_threads

        configure_cpu_threads()
    return loaded


def _load_named(name: str, catalog: Catalog, dtype: torch.dtype, **options: Any) -> LoadedBase:
    from tagregistry.models.fingerprint import cached_fingerprint
    from tagregistry.plugins.manager import load_object

    spec = catalog.base_models[name]
    loader = load_object(spec.loader)
    _check_loader_options(name, loader, options)
    result = loader(dtype=dtype, **options)
    if not isinstance(result, tuple) or len(result) not in (2, 3):
        raise PluginError(
            f"base model loader {spec.loader} must return (model, tokenizer) or "
            f"(model, tokenizer, info), got {type(result).__name__}"
        )
    model, tokenizer = result[0], result[1]
    info: dict[str, Any] = dict(result[2]) if len(result) == 3 else {}
    freeze(model)
    fingerprint = info.get("fingerprint") or cached_fingerprint(model, info.get("weights_key"))
    record = BaseModelRecord(
        model_id=spec.model_id or name, revision=info.get("revision", "main"),
        hidden_size=hidden_size_of(model), fingerprint=fingerprint,
    )
    return LoadedBase(name=name, model=model, tokenizer=tokenizer, record=record)


def _check_loader_options(name: str, loader: Any, options: dict[str, Any]) -> None:
    """Refuse keyword arguments that the named base's loader does not take."""
    import inspect

    try:
        parameters = inspect.signature(loader).parameters.values()
    except (TypeError, ValueError):  # a builtin or C callable: let it decide
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    accepted = [p.name for p in parameters if p.kind in keyword and p.name != "dtype"]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise InputError(
            f"unknown option(s) {', '.join(map(repr, unknown))} for base {name!r}: its loader "
            f"takes {', '.join(accepted) or 'no options'} (besides dtype, device and revision)"
        )
