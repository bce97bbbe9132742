"""What the baselines read: the frozen base's hidden states on the function's prompt without tags.

Each record becomes the function's template with its tags left out (the text pieces and the
slot values rendered by their domain tokenizers, ending where the function tag would start),
so the base sees the same words as the tagged prompt but nothing learned. The features are
the mean over the slot values' tokens at six evenly spaced layers, concatenated: the readout
a probe on the frozen base is usually given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from tagregistry.engine.prompt import EncodedPrompt, PromptEncoder, ValueSpan
from tagregistry.engine.template import TagPiece, TextPiece, parse_template

#: how many depths the features concatenate (evenly spaced, ending at the last layer)
N_LAYERS = 6


def feature_layers(n_layers: int) -> list[int]:
    """Indices into ``hidden_states`` (1 = after the first layer) the features read."""
    return sorted({max(1, round(n_layers * k / N_LAYERS)) for k in range(1, N_LAYERS + 1)})


def encode_untagged(encoder: PromptEncoder, template: str, values: Mapping[str, Any],
                    slot_domains: Mapping[str, str]) -> EncodedPrompt:
    """``template`` with ``values`` and no tags, cut before the function tag."""
    ids = list(encoder.prefix_ids)
    prompt = EncodedPrompt(input_ids=ids)
    carry = ""  # whitespace before a value goes with the value, as in tagged prompts
    for piece in parse_template(template):
        if isinstance(piece, TextPiece):
            text = carry + piece.text
            stripped = text.rstrip()
            carry = text[len(stripped):]
            ids.extend(encoder.token_ids(stripped))
        elif isinstance(piece, TagPiece) and piece.slot:
            domain = slot_domains.get(piece.slot, piece.name)
            start = len(ids)
            ids.extend(encoder.token_ids(carry + encoder.render(domain, piece.slot, values[piece.slot])))
            carry = ""
            prompt.values.append(ValueSpan(piece.slot, domain, start, len(ids)))
        else:
            break  # the function tag: the prompt ends where it would start
    prompt.readout = len(ids) - 1
    return prompt


@torch.inference_mode()
def base_features(model: Any, records: Sequence[Mapping[str, Any]], *, function: str,
                  batch_size: int = 16) -> torch.Tensor:
    """``(n, len(layers) * hidden)`` float64 features of ``records`` under the composed
    ``model``'s frozen base (its ``function`` binding gives the template and slot domains)."""
    from tagregistry.engine.collate import collate_prompts

    binding = model.binding(function)
    prompts = [encode_untagged(model.encoder, binding.spec.template,
                               {slot: record[slot] for slot in binding.slots}, binding.slot_domains)
               for record in records]
    layers = feature_layers(int(model.base.model.config.num_hidden_layers))
    body = model.base.model.base_model
    out = torch.zeros(len(prompts), len(layers) * model.base.hidden_size, dtype=torch.float64)
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    starts = range(0, len(order), batch_size)
    if len(starts) > 4:  # as predict_batch: a bar when it takes a while
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc="frozen-base features", unit="batch", mininterval=2.0)
    for begin in starts:
        chunk = order[begin:begin + batch_size]
        batch = collate_prompts([prompts[i] for i in chunk], {}, model.pad_id).to(model.base.device)
        states = body(input_ids=batch.input_ids, attention_mask=batch.attention_mask,
                      position_ids=batch.position_ids, output_hidden_states=True).hidden_states
        mask = batch.value_mask.unsqueeze(-1).float()
        pooled = [(states[layer].float() * mask).sum(1) / mask.sum(1).clamp(min=1) for layer in layers]
        out[chunk] = torch.cat(pooled, dim=1).double().cpu()
    return out
