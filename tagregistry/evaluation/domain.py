"""A domain tag measured where it is used: held-out perplexity of its spans, three ways.

For every layout -- the stage-1 template and the context of each installed function that
takes the domain (:func:`~tagregistry.engine.contexts.function_contexts`) -- the frozen
base's next-token perplexity on the span's tokens is measured with the tag's positions
filled by the trained tag, by its untrained initialisation, and removed (the plain text
prompt). A domain tag earns its place where ``tag`` is well below ``no_tag``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from tagregistry.engine.contexts import STAGE1, function_contexts, placeholder, with_slot

FILLS = ("tag", "untrained", "no_tag")


@dataclass(frozen=True)
class LayoutPerplexity:
    """Perplexity of the span's tokens in one layout, with the tag, untrained and without."""

    layout: str
    context: str
    tag: float
    untrained: float
    no_tag: float
    tokens: int

    @property
    def reduction(self) -> float:
        """How much the tag lowers perplexity against the plain prompt (0.5 = halved)."""
        return 1.0 - self.tag / self.no_tag

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "reduction": self.reduction}


def domain_layouts(catalog: Any, domain: str, slot: str) -> dict[str, str]:
    """``{layout: template}``: the bare span, then each distinct function context, named by
    the functions that share it (``"LogP+QED+TPSA"``)."""
    users: dict[str, list[str]] = {}
    for name, context in function_contexts(catalog, domain).items():
        users.setdefault(with_slot(context, domain, slot), []).append(name)
    return {STAGE1: placeholder(domain, slot), **{"+".join(names): context
                                                  for context, names in users.items()}}


def measure_domain(
    model: Any, encoder: Any, domain: str, trained: Any, untrained: Any,
    records: Sequence[Mapping[str, Any]], slot: str, layouts: Mapping[str, str], *,
    pad_id: int, batch_size: int = 16, max_length: int = 512,
) -> list[LayoutPerplexity]:
    """Perplexity of ``records[slot]`` spans in each layout, tag / untrained / no tag.

    Args:
        model: the frozen base (any dtype; tags are float32 and cast when spliced).
        encoder: a :class:`~tagregistry.engine.prompt.PromptEncoder` for its tokenizer.
        trained: the tag's ``(p, hidden)`` vectors; ``untrained`` its initialisation.
        records: held-out records holding ``slot``.
        layouts: ``{name: template with one {domain:slot} placeholder}``.
    """
    from tagregistry.engine.splice import TagTable
    from tagregistry.training.evaluate import evaluate_lm
    from tagregistry.training.examples import encode_domain_text
    from tagregistry.training.trainable import TagTrainer

    device = model.get_input_embeddings().weight.device
    p = int(trained.shape[0])
    usable = [r for r in records if isinstance(r.get(slot), str) and r[slot].strip()]
    out = []
    for layout, template in layouts.items():
        examples = encode_domain_text(encoder, domain, slot, usable, p, max_length, [template])
        plain = [_without(e, domain) for e in examples]
        scores: dict[str, float] = {}
        for fill, vectors, chosen in (("tag", trained, examples), ("untrained", untrained, examples),
                                      ("no_tag", trained, plain)):
            trainer = TagTrainer(model, TagTable({domain: vectors.float()}), None, "lm")
            result = evaluate_lm(trainer, chosen, batch_size=batch_size, pad_id=pad_id,
                                 device=device)
            scores[fill] = result.get("perplexity", float("nan"))
        tokens = sum(end - start for e in examples for start, end in e.lm_spans)
        out.append(LayoutPerplexity(layout, template, scores["tag"], scores["untrained"],
                                    scores["no_tag"], tokens))
    return out


def _without(example: Any, domain: str) -> Any:
    """The example with the domain tag's positions removed (LM targets on the same tokens)."""
    from tagregistry.training.examples import Example

    prompt = example.prompt.without_tag(domain)
    spans = [(v.start, v.end) for v in prompt.values if v.end > v.start]
    return Example(prompt=prompt, lm_spans=spans)


def as_metrics(scores: Sequence[LayoutPerplexity], prefix: str = "test") -> dict[str, float]:
    """Flat metrics for a tag record: ``test_perplexity`` (stage 1) and, per function layout,
    ``test_perplexity@F``, ``..._no_tag`` and ``..._untrained``."""
    metrics: dict[str, float] = {}
    for score in scores:
        key = f"{prefix}_perplexity" + ("" if score.layout == STAGE1 else f"@{score.layout}")
        metrics[key] = score.tag
        metrics[f"{key}_no_tag"] = score.no_tag
        metrics[f"{key}_untrained"] = score.untrained
    return metrics


def evaluate_domain(
    loaded: Any, encoder: Any, record: Any, trained: Any, catalog: Any, *, split: str = "test",
    limit: int | None = None, batch_size: int = 16,
) -> list[LayoutPerplexity]:
    """:func:`measure_domain` for a registered domain tag on its recipe's ``split``.

    The data, split, slot and initialisation come from the recipe recorded with the tag, so
    the held-out records are those its training held out.
    """
    from tagregistry.errors import InputError
    from tagregistry.models.tokens import pad_token_id
    from tagregistry.training.data import load_splits, text_field
    from tagregistry.training.init import initial_tag
    from tagregistry.training.recipe import load_recipe

    raw = record.source.get("recipe") if isinstance(record.source, dict) else None
    if record.kind != "domain" or not isinstance(raw, dict):
        raise InputError(f"{record.ref} is not a domain tag trained by tagregistry (no recorded "
                         "recipe), so its held-out data is unknown")
    from tagregistry.evaluation.data import local_files

    if isinstance(raw.get("data"), dict):  # data paths are kept relative to the training folder
        raw = {**raw, "data": local_files(record, dict(raw["data"]))}
    recipe = load_recipe(raw)
    splits = load_splits(recipe.data, recipe.split, recipe.seed, catalog)
    if split not in ("train", "validation", "test"):
        raise InputError(f"split must be train, validation or test, got {split!r}")
    rows = getattr(splits, split)[:limit]
    if not rows:
        raise InputError(f"{record.ref}'s data has no {split} records")
    slot = text_field(splits.train, recipe.data.text_field)
    hyper = recipe.hyper
    untrained = initial_tag(hyper.init, loaded.model, int(trained.shape[0]),
                            tokenizer=loaded.tokenizer, phrase=hyper.init_phrase, seed=recipe.seed)
    return measure_domain(loaded.model, encoder, record.name, trained, untrained, rows, slot,
                          domain_layouts(catalog, record.name, slot),
                          pad_id=pad_token_id(loaded.tokenizer), batch_size=batch_size,
                          max_length=hyper.max_length)
