"""A domain tag measured where it is used: held-out perplexity of its spans, three ways.

For every layout -- the stage-1 template and the context of each installed function that
takes the domain (:func:`~tagregistry.engine.contexts.function_contexts`) -- the frozen
base's next-token perplexity on the span's tokens is measured with the tag's positions
filled by the trained tag, by its untrained initialisation, and removed (the plain text
prompt). A domain tag earns its place where ``tag`` is well below ``no_tag``. Stage 1
records these numbers with the tag (:func:`as_metrics`); ``tagregistry evaluate DOMAIN``
measures them again for a registered tag.
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


#: the metric-name suffix of the bare-span layout
BARE = "bare"


def as_metrics(scores: Sequence[LayoutPerplexity], prefix: str = "test") -> dict[str, float]:
    """Flat metrics for a tag record, per layout: ``test_perplexity@bare`` (the stage-1
    layout) or ``test_perplexity@F`` (functions F's context), and ``..._no_tag``,
    ``..._untrained`` beside each."""
    metrics: dict[str, float] = {}
    for score in scores:
        key = f"{prefix}_perplexity@" + (BARE if score.layout == STAGE1 else score.layout)
        metrics[key] = score.tag
        metrics[f"{key}_no_tag"] = score.no_tag
        metrics[f"{key}_untrained"] = score.untrained
    return metrics


def stage1_layout_metrics(recipe: Any, records: Sequence[Mapping[str, Any]], encoder: Any,
                          loaded: Any, catalog: Any, trained: Any) -> dict[str, float]:
    """What stage 1 records with a new domain tag: :func:`as_metrics` of its held-out
    ``records`` (at most ``recipe.eval.max_examples``) in every layout it is used in."""
    from tagregistry.models.tokens import pad_token_id
    from tagregistry.training.data import text_field
    from tagregistry.training.init import initial_tag

    hyper = recipe.hyper
    slot = text_field(list(records), recipe.data.text_field)
    untrained = initial_tag(hyper.init, loaded.model, int(trained.shape[0]),
                            tokenizer=loaded.tokenizer, phrase=hyper.init_phrase, seed=recipe.seed)
    scores = measure_domain(loaded.model, encoder, recipe.tag, trained, untrained,
                            list(records)[: recipe.eval.max_examples], slot,
                            domain_layouts(catalog, recipe.tag, slot),
                            pad_id=pad_token_id(loaded.tokenizer), batch_size=recipe.eval.batch_size,
                            max_length=hyper.max_length)
    return as_metrics(scores)
