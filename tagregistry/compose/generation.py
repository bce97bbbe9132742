"""Greedy or sampled decoding from spliced embeddings, with or without a KV cache.

A small loop rather than ``model.generate`` so that positions under left padding, the
cache keyword and stopping behave the same for every architecture.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from tagregistry.compose.forward import run_base


@dataclass(frozen=True)
class GenerationConfig:
    """Decoding options: ``max_new_tokens``, sampling (``temperature``, ``top_p``, ``seed``)."""

    max_new_tokens: int = 64
    do_sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int | None = None
    use_cache: bool = True


def _pick(logits: torch.Tensor, config: GenerationConfig, generator: torch.Generator | None) -> torch.Tensor:
    if not config.do_sample:
        return logits.argmax(-1)
    scores = logits / max(config.temperature, 1e-6)
    probs = scores.softmax(-1)
    if config.top_p < 1.0:
        sorted_probs, order = probs.sort(-1, descending=True)
        keep = sorted_probs.cumsum(-1) - sorted_probs < config.top_p
        sorted_probs = sorted_probs * keep
        probs = torch.zeros_like(probs).scatter(-1, order, sorted_probs)
    return torch.multinomial(probs.cpu(), 1, generator=generator).squeeze(-1).to(logits.device)


def generate_ids(
    model: nn.Module,
    inputs_embeds: torch.Tensor,
    attention_mask: torch.Tensor,
    position_ids: torch.Tensor,
    config: GenerationConfig,
    eos_ids: set[int],
    pad_id: int,
    should_stop: Callable[[int, list[int]], bool] | None = None,
) -> list[list[int]]:
    """New token ids per row (end-of-sequence tokens excluded).

    Args:
        model: the causal LM.
        inputs_embeds, attention_mask, position_ids: a left-padded prompt batch.
        config: decoding options.
        eos_ids: ids that end a row.
        pad_id: fed to finished rows.
        should_stop: ``(row, ids so far) -> bool`` for stop strings.
    """
    batch = inputs_embeds.shape[0]
    device = inputs_embeds.device
    generator = torch.Generator().manual_seed(config.seed) if config.seed is not None else None
    embed = model.get_input_embeddings()
    next_position = position_ids[:, -1] + 1
    out = run_base(model, inputs_embeds, attention_mask, position_ids, use_cache=config.use_cache,
                   logits=True, hidden=False, logits_to_keep=1)
    generated: list[list[int]] = [[] for _ in range(batch)]
    done = torch.zeros(batch, dtype=torch.bool, device=device)
    eos = torch.tensor(sorted(eos_ids) or [-1], device=device)
    for step in range(config.max_new_tokens):
        token = _pick(out.logits[:, -1].float(), config, generator)
        token = torch.where(done, torch.full_like(token, pad_id), token)
        finished = torch.isin(token, eos) & ~done
        for row, value in enumerate(token.tolist()):
            if done[row] or finished[row]:
                continue
            generated[row].append(value)
            if should_stop is not None and should_stop(row, generated[row]):
                finished[row] = True
        done |= finished
        if bool(done.all()) or step + 1 == config.max_new_tokens:
            break
        attention_mask = torch.cat([attention_mask, torch.ones_like(attention_mask[:, :1])], dim=1)
        new_embeds = embed(token.unsqueeze(1))
        positions = next_position.unsqueeze(1)
        next_position = next_position + 1
        if config.use_cache:
            out = run_base(model, new_embeds, attention_mask, positions, cache=out.cache,
                           use_cache=True, logits=True, hidden=False, logits_to_keep=1)
        else:
            inputs_embeds = torch.cat([inputs_embeds, new_embeds], dim=1)
            position_ids = torch.cat([position_ids, positions], dim=1)
            out = run_base(model, inputs_embeds, attention_mask, position_ids, logits=True,
                           hidden=False, logits_to_keep=1)
    return generated
