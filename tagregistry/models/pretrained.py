"""Load a base from a Hugging Face id or a local model folder (safetensors unless told).

The usual Hugging Face environment (``HF_HUB_OFFLINE``, ``HF_HOME``) applies; transformers
is kept from asking a Space to convert pickle weights.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagregistry.errors import NotFoundError
from tagregistry.models.loaded import LoadedBase, freeze, hidden_size_of
from tagregistry.specs import BaseModelRecord

if TYPE_CHECKING:
    import torch

    from tagregistry.plugins.manager import Catalog


def load_pretrained(
    name: str, catalog: Catalog, dtype: torch.dtype, revision: str | None, trust_remote_code: bool,
    use_safetensors: bool = True,
) -> LoadedBase:
    """The model ``name`` (a local folder or a Hub id at ``revision``), frozen, in ``dtype``."""
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
