"""Load a frozen base LLM by name, Hugging Face id or local path: :func:`load_base`.

A named base comes from a plugin's ``BaseModelSpec`` (the built-in ``smollm2-135m`` is the
default). Its loader returns ``(model, tokenizer)`` or ``(model, tokenizer, info)`` where
``info`` may give ``revision``, ``fingerprint`` and ``weights_key`` (a cache key for the
fingerprint). Anything else is passed to ``transformers.AutoModelForCausalLM`` with
``use_safetensors=True`` (no pickle) unless the caller opts out; the usual Hugging Face
environment (``HF_HUB_OFFLINE``, ``HF_HOME``) applies.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagregistry.errors import InputError, NotFoundError, PluginError
from tagregistry.models.precision import resolve_dtype
from tagregistry.specs import BaseModelRecord

if TYPE_CHECKING:
    import torch

    from tagregistry.plugins.manager import Catalog

DEFAULT_BASE = "smollm2-135m"
def resolve_device(device: Any) -> str:
    """``None`` -> ``"cuda"`` when available, else ``"cpu"``; a name torch does not know, or
    a device this machine lacks, is an ``InputError``."""
    import torch

    if device is None:
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise InputError(f"unknown device {device!r}; use cpu, cuda, cuda:N or mps") from exc
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device {device!r} asked for, but CUDA is not available on this machine; "
                         "use cpu")
    if parsed.type == "mps" and not torch.backends.mps.is_available():
        raise InputError(f"device {device!r} asked for, but MPS is not available; use cpu")
    return str(device)


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
        loaded = _load_pretrained(name, catalog, torch_dtype, revision, trust_remote_code,
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


def _load_pretrained(
    name: str, catalog: Catalog, dtype: torch.dtype, revision: str | None, trust_remote_code: bool,
    use_safetensors: bool = True,
) -> LoadedBase:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tagregistry.models.fingerprint import cached_fingerprint, weights_key

    local = Path(name).expanduser()
    if local.is_dir():
        check_model_folder(local, use_safetensors)
    elif looks_like_path(name):
        what = "is a file, not a model folder" if local.exists() else "does not exist"
        raise NotFoundError(f"cannot load base model {name!r}: {local} {what}")
    source = str(local.resolve()) if local.is_dir() else name
    kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code}
    if revision and not local.is_dir():
        kwargs["revision"] = revision
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        with _no_conversion_requests():
            # True: safetensors or an error; None: transformers' choice, pickle files included
            model = AutoModelForCausalLM.from_pretrained(
                source, dtype=dtype, use_safetensors=True if use_safetensors else None, **kwargs)
    except (OSError, ValueError) as exc:
        raise _load_error(name, local, catalog, use_safetensors, exc) from exc
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


@contextmanager
def _no_conversion_requests() -> Iterator[None]:
    """Keep transformers from asking a Hugging Face Space to convert pickle weights.

    For a repo without safetensors files, transformers would otherwise call the
    safetensors-convert Space (with the user's token) and wait for a conversion PR; a
    library that loads models must not start that on its own.
    """
    variable = "DISABLE_SAFETENSORS_CONVERSION"
    before = os.environ.get(variable)
    os.environ[variable] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = before


def looks_like_path(name: str) -> bool:
    """Whether ``name`` is written as a filesystem path rather than a Hub id ``org/name``."""
    return name.startswith(("/", ".", "~", "\\")) or name.count("/") > 1 or Path(name).exists()


def check_model_folder(folder: Path, use_safetensors: bool) -> None:
    """NotFoundError unless ``folder`` holds a model config and weights tagregistry may load."""
    if not (folder / "config.json").is_file():
        raise NotFoundError(
            f"cannot load base model from {folder}: the folder has no config.json, so it is not "
            "a saved Hugging Face model; save one with model.save_pretrained(folder) and "
            "tokenizer.save_pretrained(folder)"
        )
    if use_safetensors and not any(folder.glob("*.safetensors")):
        pickled = sorted(p.name for p in folder.glob("*.bin")) or ["no weight files"]
        raise NotFoundError(
            f"cannot load base model from {folder}: it has no .safetensors weights (found "
            f"{', '.join(pickled)}); tagregistry loads safetensors only, because pickle files "
            "can run code. Convert them (save_pretrained writes safetensors), or pass "
            "use_safetensors=False if you trust the file"
        )


def _load_error(name: str, local: Path, catalog: Catalog, use_safetensors: bool,
                exc: Exception) -> NotFoundError:
    if local.is_dir():
        return NotFoundError(f"cannot load base model from the folder {local}: {exc}")
    known = ", ".join(sorted(catalog.base_models)) or "none"
    hint = ""
    if use_safetensors and "safetensors" in str(exc):
        hint = (" The repo may hold only pickle weights (pytorch_model.bin): pass "
                "use_safetensors=False if you trust it.")
    return NotFoundError(
        f"cannot load base model {name!r}: it is not a named base ({known}) nor a local folder, "
        f"and loading it from the Hugging Face Hub failed ({exc}).{hint} Check the id, or "
        "download it first if HF_HUB_OFFLINE is set"
    )
