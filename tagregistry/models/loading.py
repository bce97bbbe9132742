"""Load a frozen base LLM by name, Hugging Face id or local path: :func:`load_base`.

A named base comes from a plugin's ``BaseModelSpec`` (the built-in ``smollm2-135m`` is the
default). Its loader returns ``(model, tokenizer)`` or ``(model, tokenizer, info)`` where
``info`` may give ``revision``, ``fingerprint`` and ``weights_key`` (a cache key for the
fingerprint). Anything else is passed to ``transformers.AutoModelForCausalLM``; the usual
Hugging Face environment (``HF_HUB_OFFLINE``, ``HF_HOME``) applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagregistry.errors import InputError, NotFoundError, PluginError
from tagregistry.specs import BaseModelRecord

if TYPE_CHECKING:
    import torch

    from tagregistry.plugins.manager import Catalog

DEFAULT_BASE = "smollm2-135m"
_DTYPES = {"float32": "float32", "fp32": "float32", "bfloat16": "bfloat16", "bf16": "bfloat16",
           "float16": "float16", "fp16": "float16", "half": "float16"}


def resolve_dtype(dtype: Any, device: str) -> torch.dtype:
    """``None`` -> float32 on CPU, bfloat16 elsewhere; strings like ``"bf16"`` are accepted."""
    import torch

    if dtype is None:
        on_cpu = str(device).split(":")[0] == "cpu"  # Accelerate reports "cpu:0" under DDP
        return torch.float32 if on_cpu else torch.bfloat16
    if isinstance(dtype, torch.dtype):
        return dtype
    name = _DTYPES.get(str(dtype).removeprefix("torch.").lower())
    if name is None:
        raise InputError(f"unknown dtype {dtype!r}; use float32, bfloat16 or float16")
    return getattr(torch, name)


def resolve_device(device: Any) -> str:
    """``None`` -> ``"cuda"`` when available, else ``"cpu"``."""
    if device is not None:
        return str(device)
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def freeze(model: Any) -> Any:
    """Eval mode and ``requires_grad=False`` on every parameter; returns ``model``."""
    model.eval()
    model.requires_grad_(False)
    return model


def context_length(model: Any, tokenizer: Any = None) -> int | None:
    """The longest input the model accepts (positions), or ``None`` when unknown."""
    config = model.config
    for attr in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(config, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    limit = getattr(tokenizer, "model_max_length", None)
    return limit if isinstance(limit, int) and 0 < limit < 10**7 else None


@dataclass
class LoadedBase:
    """A frozen base LLM with its tokenizer and its record in the store.

    Attributes:
        name: what the user asked for (a named base, a Hub id or a path).
        model: a ``transformers`` causal LM in eval mode with ``requires_grad=False``.
        tokenizer: its tokenizer.
        record: model id, revision, hidden size and fingerprint (sha256 of the embeddings).
    """

    name: str
    model: Any
    tokenizer: Any
    record: BaseModelRecord

    @classmethod
    def from_model(
        cls,
        model: Any,
        tokenizer: Any,
        *,
        model_id: str | None = None,
        revision: str = "main",
        name: str | None = None,
        fingerprint: str | None = None,
    ) -> LoadedBase:
        """Wrap an already-built ``(model, tokenizer)`` (tests, custom code); freezes it."""
        from tagregistry.models.fingerprint import embedding_fingerprint

        model_id = model_id or getattr(model.config, "_name_or_path", "") or type(model).__name__
        freeze(model)
        record = BaseModelRecord(
            model_id=model_id, revision=revision, hidden_size=hidden_size_of(model),
            fingerprint=fingerprint or embedding_fingerprint(model),
        )
        return cls(name=name or model_id, model=model, tokenizer=tokenizer, record=record)

    @property
    def hidden_size(self) -> int:
        return self.record.hidden_size

    @property
    def device(self) -> torch.device:
        return self.model.get_input_embeddings().weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.model.get_input_embeddings().weight.dtype

    @property
    def max_length(self) -> int | None:
        """The model's context length (``None`` when the config does not say)."""
        return context_length(self.model, self.tokenizer)


def hidden_size_of(model: Any) -> int:
    """The width of the input embeddings."""
    return int(model.get_input_embeddings().weight.shape[1])


def load_base(
    base: str | LoadedBase | tuple[Any, Any] | None = None,
    *,
    dtype: Any = None,
    device: Any = None,
    revision: str | None = None,
    catalog: Catalog | None = None,
    trust_remote_code: bool = False,
    **options: Any,
) -> LoadedBase:
    """Load a frozen base model.

    Args:
        base: a named base (``"smollm2-135m"``, the default), a Hugging Face id
            (``"org/name"``), a local directory, an existing :class:`LoadedBase`, or a
            ``(model, tokenizer)`` pair.
        dtype: ``torch.float32`` (CPU default), ``torch.bfloat16``, or a name such as ``"bf16"``.
        device: ``"cpu"``, ``"cuda"``...; default CUDA when available.
        revision: Hub revision (branch, tag or commit) for Hub ids.
        catalog: plugin catalog for named bases (default: the process-wide one).
        trust_remote_code: passed to ``transformers`` for Hub ids and paths.
        options: passed to a named base's loader.
    """
    if isinstance(base, LoadedBase):
        return base
    if isinstance(base, tuple):
        model, tokenizer = base
        return LoadedBase.from_model(model, tokenizer)
    name = base or DEFAULT_BASE
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
                f"options {sorted(options)} only apply to named base models; {name!r} is not one"
            )
        loaded = _load_pretrained(name, catalog, torch_dtype, revision, trust_remote_code)
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


def _load_pretrained(
    name: str, catalog: Catalog, dtype: torch.dtype, revision: str | None, trust_remote_code: bool
) -> LoadedBase:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tagregistry.models.fingerprint import cached_fingerprint, weights_key

    local = Path(name).expanduser()
    source = str(local.resolve()) if local.is_dir() else name
    kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code}
    if revision and not local.is_dir():
        kwargs["revision"] = revision
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, **kwargs)
    except (OSError, ValueError) as exc:
        known = ", ".join(sorted(catalog.base_models)) or "none"
        raise NotFoundError(
            f"cannot load base model {name!r}: it is not a named base ({known}), not a local "
            f"directory, and loading it from the Hugging Face Hub failed ({exc}). Check the id, "
            "or download it first if HF_HUB_OFFLINE is set"
        ) from exc
    freeze(model)
    commit = getattr(model.config, "_commit_hash", None)
    if local.is_dir():
        key = weights_key(local)
        rev = revision or "local"
    else:
        rev = commit or revision or "main"
        key = f"hub:{name}@{commit}" if commit else None
    record = BaseModelRecord(
        model_id=source, revision=rev, hidden_size=hidden_size_of(model),
        fingerprint=cached_fingerprint(model, key),
    )
    return LoadedBase(name=name, model=model, tokenizer=tokenizer, record=record)
