"""PEFT baselines with the Tag-LLM head: prompt tuning (p virtual tokens) and LoRA.

Both read the function's prompt as plain text (its template without tags, e.g. "The SMILES
of the molecule is CCO. The quantitative estimate of drug-likeness (QED) is") and put a
linear regression head on the last hidden state of the last real token. Labels are
standardised on train, the loss is MSE, and AdamW follows the recipe defaults' cosine
schedule with 3% warm-up, for ``--steps`` optimiser steps of ``--batch`` molecules.
"""

from __future__ import annotations

import random
import time
from typing import Any

from tagregistry.errors import InputError

PEFT_NEEDED = "the PEFT baselines need peft: pip install -e '.[bench]'"


def plain_template(template: str, slot: str, domain: str, function: str) -> str:
    """A function template with its domain tag turned into ``{value}`` and no function tag."""
    return template.replace(f"{{{domain}:{slot}}}", "{value}").replace(f"{{{function}}}", "").rstrip()


def right_padded(prompts: list[Any], pad_id: int) -> tuple[Any, Any, Any]:
    """``input_ids``, ``attention_mask`` (right padding) and each row's last real index."""
    import torch

    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for b, prompt in enumerate(prompts):
        ids[b, :len(prompt)] = torch.tensor(prompt.input_ids)
        mask[b, :len(prompt)] = 1
    return ids, mask, mask.sum(1) - 1


def wrap(method: str, model: Any, args: Any) -> Any:
    """The base wrapped by PEFT (prompt tuning with ``args.p`` tokens, or LoRA ``args.lora_r``)."""
    try:
        from peft import LoraConfig, PromptTuningConfig, TaskType, get_peft_model
    except ImportError as exc:
        raise SystemExit(PEFT_NEEDED) from exc
    if method == "prompt-tuning":
        config = PromptTuningConfig(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=args.p)
    else:
        config = LoraConfig(task_type=TaskType.CAUSAL_LM, r=args.lora_r,
                            lora_alpha=2 * args.lora_r, lora_dropout=0.0)
    return get_peft_model(model, config)


def _last_hidden(peft_model: Any, ids: Any, mask: Any, last: Any, offset: int) -> Any:
    import torch

    out = peft_model(input_ids=ids, attention_mask=mask, output_hidden_states=True,
                     logits_to_keep=1)
    hidden = out.hidden_states[-1]
    rows = torch.arange(hidden.shape[0], device=hidden.device)
    return hidden[rows, last + offset].float()


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


def train_and_predict(method: str, loaded: Any, task: Any, data: dict[str, list[dict[str, Any]]],
                      args: Any) -> tuple[list[float], dict[str, Any]]:
    """Train ``method`` on ``data["train"]``; predictions on test and training details."""
    import torch

    from tagregistry.engine.prompt import PromptEncoder
    from tagregistry.plugins.manager import get_catalog
    from tagregistry.training.schedule import lr_factor

    catalog = get_catalog()
    spec = catalog.functions[task.function]
    template = plain_template(spec.template, task.slot, task.domain, task.function)
    encoder = PromptEncoder(loaded.tokenizer, catalog)

    def encode(split: str) -> list[Any]:
        return [encode_plain(encoder, template, task.domain, r[task.slot]) for r in data[split]]

    train_prompts = encode("train")
    labels = torch.tensor([r["label"] for r in data["train"]], dtype=torch.float32)
    mean, std = labels.mean(), labels.std().clamp(min=1e-12)
    torch.manual_seed(0)
    peft_model = wrap(method, loaded.model, args)
    device = loaded.device
    head = torch.nn.Linear(loaded.hidden_size, 1).to(device)
    offset = args.p if method == "prompt-tuning" else 0
    params = [p for p in peft_model.parameters() if p.requires_grad] + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
    from tagregistry.models.tokens import pad_token_id

    pad = pad_token_id(loaded.tokenizer)
    rng = random.Random(0)
    peft_model.train()
    began = time.perf_counter()
    for step in range(args.steps):
        for group in optimizer.param_groups:
            group["lr"] = args.lr * lr_factor(step, args.steps, 0.03, "cosine")
        chosen = rng.sample(range(len(train_prompts)), min(args.batch, len(train_prompts)))
        ids, mask, last = right_padded([train_prompts[i] for i in chosen], pad)
        target = ((labels[chosen] - mean) / std).to(device)
        hidden = _last_hidden(peft_model, ids.to(device), mask.to(device), last.to(device), offset)
        loss = torch.nn.functional.mse_loss(head(hidden).squeeze(-1), target)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    seconds = time.perf_counter() - began
    peft_model.eval()

    def predict(prompts: list[Any]) -> list[float]:
        out: list[float] = []
        with torch.no_grad():
            for begin in range(0, len(prompts), 32):
                ids, mask, last = right_padded(prompts[begin:begin + 32], pad)
                hidden = _last_hidden(peft_model, ids.to(device), mask.to(device),
                                      last.to(device), offset)
                out += (head(hidden).squeeze(-1).cpu() * std + mean).tolist()
        return out

    val_y = torch.tensor([r["label"] for r in data["validation"]])
    val_mse = float(((torch.tensor(predict(encode("validation"))) - val_y) ** 2).mean())
    trainable = sum(p.numel() for p in params)
    return predict(encode("test")), {
        "steps": args.steps, "batch": args.batch, "lr": args.lr, "trainable_parameters": trainable,
        "train_seconds": round(seconds, 1), "validation_mse": val_mse,
        "device": str(device), "template": template,
    }
