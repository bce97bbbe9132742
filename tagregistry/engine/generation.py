"""Greedy or sampled decoding from spliced embeddings, with or without a KV cache.

A small loop rather than ``model.generate`` so that positions under left padding, the
cache keyword and stopping behave the same for every architecture. :func:`generate_texts`
decodes many encoded prompts in left-padded batches (``TaggedModel.generate_batch``);
:func:`generate_from_text` does the same for plain-text prompts to the frozen base (the
zero- and few-shot baselines a tag is measured against).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from tagregistry.engine.collate import AUTO_PROGRESS_BATCHES, collate_prompts
from tagregistry.engine.forward import run_base
from tagregistry.engine.prompt import EncodedPrompt, PromptEncoder
from tagregistry.engine.splice import TagTable, splice_embeddings
from tagregistry.errors import InputError
from tagregistry.models.tokens import pad_token_id

if TYPE_CHECKING:
    from tagregistry.models.loading import LoadedBase


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


def eos_ids_of(model: nn.Module, tokenizer: Any) -> set[int]:
    """The ids that end a generated text: the tokenizer's and the generation config's EOS."""
    ids: set[int] = set()
    generation_config = getattr(model, "generation_config", None)
    for source in (tokenizer.eos_token_id, getattr(generation_config, "eos_token_id", None)):
        if isinstance(source, int):
            ids.add(source)
        elif isinstance(source, (list, tuple)):
            ids.update(int(i) for i in source)
    return ids


def generate_texts(
    model: nn.Module,
    tokenizer: Any,
    prompts: Sequence[EncodedPrompt],
    table: TagTable | None,
    config: GenerationConfig,
    *,
    pad_id: int,
    stop: Sequence[str] = (),
    batch_size: int = 8,
    progress: bool | None = None,
    desc: str = "generate",
) -> list[str]:
    """Decoded text after each prompt, in order; longest prompts are batched together.

    Each row stops at an end-of-sequence token, after ``config.max_new_tokens`` or where a
    string of ``stop`` appears (the text is cut before it).
    """
    from tqdm.auto import tqdm

    if batch_size < 1:
        raise InputError(f"batch_size must be at least 1, got {batch_size}")
    stops = [s for s in stop if s]

    def should_stop(_row: int, ids: list[int]) -> bool:
        text = tokenizer.decode(ids, skip_special_tokens=True)
        return any(s in text for s in stops)

    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]), reverse=True)
    chunks = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    show = progress if progress is not None else len(chunks) > AUTO_PROGRESS_BATCHES
    layout = table.layout() if table is not None else {}
    eos = eos_ids_of(model, tokenizer)
    device = model.get_input_embeddings().weight.device
    results = [""] * len(prompts)
    with torch.inference_mode(), tqdm(total=len(prompts), disable=not show, unit="rec",
                                      desc=desc) as bar:
        for chunk in chunks:
            batch = collate_prompts([prompts[i] for i in chunk], layout, pad_id).to(device)
            embeds = splice_embeddings(model, batch.input_ids, batch.tag_rows, table)
            new = generate_ids(model, embeds, batch.attention_mask, batch.position_ids, config,
                               eos, pad_id, should_stop if stops else None)
            for i, ids in zip(chunk, new, strict=True):
                text = tokenizer.decode(ids, skip_special_tokens=True)
                for s in stops:
                    text = text.split(s, 1)[0]
                results[i] = text
            bar.update(len(chunk))
    return results


def generate_from_text(
    base: LoadedBase,
    texts: Sequence[str],
    *,
    max_new_tokens: int = 64,
    stop: Sequence[str] = (),
    batch_size: int = 8,
    progress: bool | None = None,
) -> list[str]:
    """The frozen base's greedy continuation of plain-text prompts (no tags), e.g. the
    zero- and few-shot prompts a function tag is compared with."""
    encoder = PromptEncoder(base.tokenizer, max_length=base.max_length)
    prompts = [encoder.encode_text(text) for text in texts]
    limit = base.max_length
    longest = max((len(p) for p in prompts), default=0)
    if limit is not None and longest + max_new_tokens > limit:
        raise InputError(f"the prompt ({longest} tokens) plus max_new_tokens={max_new_tokens} "
                         f"exceeds the base model's context of {limit}; lower max_new_tokens")
    tokenizer = base.tokenizer
    return generate_texts(base.model, tokenizer, prompts, None,
                          GenerationConfig(max_new_tokens=max_new_tokens), pad_id=pad_token_id(tokenizer),
                          stop=stop, batch_size=batch_size, progress=progress, desc="base")
