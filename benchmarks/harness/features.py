"""Hidden states of the frozen base on plain-text prompts, pooled and cached on disk.

A prompt is ``template`` with ``{value}`` replaced by the domain tokenizer's rendering of a
molecule, tokenised the way tagregistry tokenises tagged prompts (text pieces and the value
separately), but with no tags. For a few layers we keep two poolings: the mean over the
value's tokens and the last token. Results are cached as ``.npz`` under
``<model cache>/features/`` keyed by (base fingerprint, sha256 of the values, template,
domain, layers), so a rerun or another property on the same molecules costs nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tagregistry.errors import InputError

DEFAULT_TEMPLATE = "The SMILES of the molecule is {value}."
POOLINGS = ("mean", "last")


def default_layers(n_layers: int) -> list[int]:
    """Six evenly spaced depths ending at the last layer (index into ``hidden_states``)."""
    return sorted({max(1, round(n_layers * k / 6)) for k in range(1, 7)})


def feature_key(fingerprint: str, values: Sequence[str], template: str, domain: str,
                layers: Sequence[int]) -> str:
    """sha256 identifying one feature matrix."""
    digest = hashlib.sha256(json.dumps(
        {"base": fingerprint, "template": template, "domain": domain, "layers": list(layers),
         "format": 1}, sort_keys=True).encode())
    for value in values:
        digest.update(value.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def features_dir() -> Path:
    from tagregistry.models.cache import model_cache_dir

    return model_cache_dir() / "features"


def encode_plain(encoder: Any, template: str, domain: str, value: str) -> Any:
    """An :class:`EncodedPrompt` of ``template`` holding ``value`` (no tags)."""
    from tagregistry.engine.prompt import EncodedPrompt, ValueSpan

    if template.count("{value}") != 1:
        raise InputError(f"template must contain {{value}} exactly once, got {template!r}")
    before, after = template.split("{value}")
    stripped = before.rstrip()
    ids = list(encoder.prefix_ids) + encoder.token_ids(stripped)
    start = len(ids)
    ids += encoder.token_ids(before[len(stripped):] + encoder.render(domain, "value", value))
    span = ValueSpan("value", domain, start, len(ids))
    ids += encoder.token_ids(after)
    return EncodedPrompt(input_ids=ids, values=[span], readout=len(ids) - 1)


def extract(loaded: Any, values: Sequence[str], *, domain: str = "SMILES",
            template: str = DEFAULT_TEMPLATE, layers: Sequence[int] | None = None,
            batch_size: int = 16, catalog: Any = None) -> dict[str, np.ndarray]:
    """``{"mean": (n, len(layers), H), "last": ...}`` float32, from the cache when possible."""
    import torch
    from tqdm.auto import tqdm

    from tagregistry.engine.collate import collate_prompts
    from tagregistry.engine.prompt import PromptEncoder
    from tagregistry.plugins.manager import get_catalog

    n_layers = int(loaded.model.config.num_hidden_layers)
    layers = list(layers or default_layers(n_layers))
    key = feature_key(loaded.record.fingerprint, values, template, domain, layers)
    path = features_dir() / f"{key[:32]}.npz"
    if path.is_file():
        with np.load(path) as stored:
            return {name: stored[name] for name in POOLINGS}
    encoder = PromptEncoder(loaded.tokenizer, catalog or get_catalog())
    prompts = [encode_plain(encoder, template, domain, v) for v in values]
    out = {name: np.zeros((len(values), len(layers), loaded.hidden_size), np.float32)
           for name in POOLINGS}
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    pad = loaded.tokenizer.pad_token_id or 0
    body = loaded.model.base_model
    with torch.inference_mode(), tqdm(total=len(values), desc="Frozen-base features",
                                      unit="mol", mininterval=2.0) as bar:
        for begin in range(0, len(order), batch_size):
            chunk = order[begin:begin + batch_size]
            batch = collate_prompts([prompts[i] for i in chunk], {}, pad).to(loaded.device)
            states = body(input_ids=batch.input_ids, attention_mask=batch.attention_mask,
                          position_ids=batch.position_ids, output_hidden_states=True).hidden_states
            mask = batch.value_mask.unsqueeze(-1).float()
            rows = torch.arange(len(chunk), device=mask.device)
            for j, layer in enumerate(layers):
                hidden = states[layer].float()
                mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
                out["mean"][chunk, j] = mean.cpu().numpy()
                out["last"][chunk, j] = hidden[rows, batch.readout].cpu().numpy()
            bar.update(len(chunk))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **out, layers=np.array(layers))
    tmp.replace(path)
    return out
