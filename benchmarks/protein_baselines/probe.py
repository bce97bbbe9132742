"""Ridge probe on the frozen base: hidden states of the *untagged* prompt, then ridge regression.

The prompt is the function's template with its values rendered by the domain tokenizers and
no tag vectors (``"The protein sequence is M K T ... Is it an antimicrobial peptide?"``).
Features are the hidden states of the middle and the last layer, mean-pooled over the value
tokens or taken at the last token; the pooling, the layers and the ridge penalty are chosen
on the validation split, and the test split is scored once. Classification fits ridge to
0/1 targets and ranks by its output (a "ridge classifier").
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from benchmarks.protein_baselines.tasks import Task

POOLS = ("mean", "last")
LAYERS = ("middle", "last", "both")


def untagged_prompt(task: Task, record: dict[str, Any], catalog: Any) -> tuple[str, list[tuple[int, int]]]:
    """The template's text with rendered values and no tags, and each value's character span."""
    from tagregistry.engine.domain_tokenizers import domain_tokenizer
    from tagregistry.engine.template import TagPiece, TextPiece, parse_template

    text, spans = "", []
    for piece in parse_template(task.spec.template):
        if isinstance(piece, TextPiece):
            text += piece.text
        elif isinstance(piece, TagPiece) and piece.slot:
            value = domain_tokenizer(catalog, piece.name).render(record[piece.slot])
            spans.append((len(text), len(text) + len(value)))
            text += value
    return text.rstrip(), spans


def features(task: Task, split: str, base: Any, catalog: Any, batch_size: int = 8,
             cache: Path | None = None) -> dict[str, Any]:
    """``{"mean": (n, 2, hidden), "last": (n, 2, hidden)}`` for ``split`` (middle, last layer)."""
    import numpy as np
    import torch

    path = cache / f"{task.name}-{split}.npz" if cache else None
    if path is not None and path.is_file():
        with np.load(path) as stored:
            return {k: stored[k] for k in POOLS}
    tokenizer, model = base.tokenizer, base.model
    middle = model.config.num_hidden_layers // 2
    encoded = []
    for record in task.splits[split]:
        text, spans = untagged_prompt(task, record, catalog)
        enc = tokenizer(text, return_offsets_mapping=True)
        inside = [any(s <= a < e for s, e in spans) for a, _ in enc["offset_mapping"]]
        encoded.append((list(enc["input_ids"]), inside))
    out = {p: np.zeros((len(encoded), 2, model.config.hidden_size), dtype=np.float32) for p in POOLS}
    from tagregistry.models.tokens import pad_token_id

    pad = pad_token_id(tokenizer)
    started = time.perf_counter()
    groups = _shared_first_value(task, split, encoded)
    grouped = {i for g in groups for i in g}
    for group in groups:
        _grouped_features(model, [encoded[i] for i in group], (middle, -1), pad, batch_size,
                          out, group)
    order = sorted((i for i in range(len(encoded)) if i not in grouped),
                   key=lambda i: len(encoded[i][0]))
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            width = max(len(encoded[i][0]) for i in rows)
            ids = torch.full((len(rows), width), pad, dtype=torch.long)
            mask = torch.zeros((len(rows), width), dtype=torch.long)
            values = torch.zeros((len(rows), width), dtype=torch.bool)
            for k, i in enumerate(rows):
                n = len(encoded[i][0])
                ids[k, :n] = torch.tensor(encoded[i][0])
                mask[k, :n] = 1
                values[k, :n] = torch.tensor(encoded[i][1])
            hidden = model(input_ids=ids.to(base.device), attention_mask=mask.to(base.device),
                           output_hidden_states=True).hidden_states
            for layer_index, layer in enumerate((hidden[middle], hidden[-1])):  # as grouped
                layer = layer.float().cpu()
                weights = values.float() / values.float().sum(1, keepdim=True).clamp(min=1)
                pooled = (layer * weights[..., None]).sum(1)
                last = layer[torch.arange(len(rows)), mask.sum(1) - 1]
                for k, i in enumerate(rows):
                    out["mean"][i, layer_index] = pooled[k].numpy()
                    out["last"][i, layer_index] = last[k].numpy()
    seconds = time.perf_counter() - started
    tokens = sum(len(e[0]) for e in encoded)
    print(f"  {task.name}/{split}: {len(encoded)} prompts, {tokens} tokens in {seconds:.0f} s "
          f"({tokens / max(seconds, 1e-9):.0f} tokens/s)", flush=True)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **out)
    return out


def _shared_first_value(task: Task, split: str, encoded: list[Any]) -> list[list[int]]:
    """Records grouped by their first slot's value (one protein, many ligands), two or more."""
    from tagregistry.engine.template import TagPiece, parse_template

    slots = [p.slot for p in parse_template(task.spec.template) if isinstance(p, TagPiece) and p.slot]
    if len(slots) < 2:
        return []
    groups: dict[str, list[int]] = {}
    for index, record in enumerate(task.splits[split]):
        groups.setdefault(record[slots[0]], []).append(index)
    return [g for g in groups.values() if len(g) > 1]


def _grouped_features(model: Any, encoded: list[Any], layers: tuple[int, int], pad: int,
                      batch_size: int, out: dict[str, Any], rows: list[int]) -> None:
    """Pooled features of prompts sharing a token prefix: the prefix runs once into a KV
    cache, the rests run right-padded on copies of it (the same values as whole prompts)."""
    import torch
    from transformers import DynamicCache

    ids = [e[0] for e in encoded]
    shared = 0
    while shared < min(map(len, ids)) - 1 and all(x[shared] == ids[0][shared] for x in ids):
        shared += 1
    from tagregistry.engine.forward import cache_argument

    device = next(model.parameters()).device
    backbone = getattr(model, "model", model)  # hidden states only: no LM logits
    with torch.inference_mode():
        head = backbone(input_ids=torch.tensor([ids[0][:shared]], device=device), use_cache=True,
                        output_hidden_states=True)
        inside = torch.tensor(encoded[0][1][:shared], dtype=torch.float32)
        prefix_sums = [(head.hidden_states[k][0].float().cpu() * inside[:, None]).sum(0) for k in layers]
        found = head["cache"] if "cache" in head.keys() else head["past_key_values"]
        kv = [(layer.keys, layer.values) for layer in found.layers]
        for start in range(0, len(ids), batch_size):
            chunk = list(range(start, min(start + batch_size, len(ids))))
            width = max(len(ids[i]) for i in chunk) - shared
            rest = torch.full((len(chunk), width), pad, dtype=torch.long)
            mask = torch.zeros((len(chunk), shared + width), dtype=torch.long)
            values = torch.zeros((len(chunk), width))
            mask[:, :shared] = 1
            for k, i in enumerate(chunk):
                n = len(ids[i]) - shared
                rest[k, :n] = torch.tensor(ids[i][shared:])
                mask[k, shared:shared + n] = 1
                values[k, :n] = torch.tensor(encoded[i][1][shared:], dtype=torch.float32)
            cache = DynamicCache(ddp_cache_data=[(k.expand(len(chunk), -1, -1, -1).contiguous(),
                                                  v.expand(len(chunk), -1, -1, -1).contiguous())
                                                 for k, v in kv])
            positions = (shared + torch.arange(width))[None].expand(len(chunk), -1)
            hidden = backbone(input_ids=rest.to(device), attention_mask=mask.to(device),
                              position_ids=positions.to(device), use_cache=True,
                              output_hidden_states=True, **{cache_argument(backbone): cache}).hidden_states
            counts = values.sum(1) + inside.sum()
            lasts = mask[:, shared:].sum(1) - 1
            for layer_index, k in enumerate(layers):
                layer = hidden[k].float().cpu()
                pooled = ((layer * values[..., None]).sum(1) + prefix_sums[layer_index]) / counts.clamp(min=1)[:, None]
                last = layer[torch.arange(len(chunk)), lasts]
                for row, i in enumerate(chunk):
                    out["mean"][rows[i], layer_index] = pooled[row].numpy()
                    out["last"][rows[i], layer_index] = last[row].numpy()


def _select(stack: Any, layers: str) -> Any:
    if layers == "middle":
        return stack[:, 0]
    if layers == "last":
        return stack[:, 1]
    return stack.reshape(stack.shape[0], -1)


def ridge_probe(task: Task, base: Any, catalog: Any, batch_size: int = 8,
                cache: Path | None = None) -> tuple[list[float], dict[str, Any]]:
    """Test predictions of the best (pooling, layers) on validation: the product's ridge fit
    (:func:`tagregistry.heads.ridge.fit_ridge`, strength chosen on validation MSE) on features
    standardised on train; classes are fitted as 0/1 targets and the view chosen by ROC-AUC."""
    import numpy as np
    import torch

    from tagregistry.heads.metrics import mse, roc_auc
    from tagregistry.heads.ridge import fit_ridge
    from tagregistry.heads.weights import standardisation

    feats = {s: features(task, s, base, catalog, batch_size, cache) for s in ("train", "validation", "test")}
    y = {s: torch.tensor(task.labels(s), dtype=torch.float64) for s in feats}
    best = None
    for pool in POOLS:
        for layers in LAYERS:
            x = {s: torch.from_numpy(np.asarray(_select(feats[s][pool], layers), dtype=np.float64))
                 for s in feats}
            mean, std = standardisation(x["train"])
            x = {s: (v - mean) / std for s, v in x.items()}
            fit = fit_ridge((x["train"], y["train"]), (x["validation"], y["validation"]))
            val = fit.predict(x["validation"])[:, 0].tolist()
            truth = y["validation"].tolist()
            score = (roc_auc(val, [t > 0.5 for t in truth]) if task.classification
                     else -mse(val, truth))
            if best is None or score > best[0]:
                best = (score, pool, layers, fit.alpha, fit.predict(x["test"])[:, 0].tolist())
    score, pool, layers, alpha, test = best
    shown = f"validation ROC-AUC {score:.4f}" if task.classification else f"validation MSE {-score:.4g}"
    return test, {"chosen": f"pool={pool}, layers={layers}, alpha={alpha:.4g} ({shown})"}
