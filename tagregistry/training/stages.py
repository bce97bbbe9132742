"""What each stage trains: tags, head, objective and encoded examples.

- Stage 1 (domain tag): ``<Domain>`` + the string, next-token loss on the string's tokens.
- Stage 2 (single-domain function tag): the function's template, task loss, head trained
  jointly; the domain tag frozen (default) or enriched (kept training with its LM loss).
- Stage 3 (multi-domain function tag): as stage 2 with two or more domains, all frozen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tagregistry.engine.contexts import stage1_contexts
from tagregistry.engine.prompt import PromptEncoder
from tagregistry.engine.template import TagPiece, parse_template
from tagregistry.errors import InputError, NotFoundError, TagRegistryError
from tagregistry.names import parse_ref
from tagregistry.specs import FunctionSpec, HeadSpec, TagRecord
from tagregistry.training.data import Splits, text_field
from tagregistry.training.examples import (
    Example,
    encode_domain_text,
    encode_function_examples,
)
from tagregistry.training.init import initial_tag
from tagregistry.training.recipe import Recipe

if TYPE_CHECKING:
    from tagregistry.store.tag_store import TagStore


class TrainingError(TagRegistryError):
    """A recipe that cannot run as written (missing tags, wrong stage...)."""


@dataclass
class StageSetup:
    """Everything the loop and the registration need for one run."""

    tags: dict[str, Any]
    trainable: list[str]
    task: str
    metric: str
    train: list[Example]
    validation: list[Example]
    test: list[Example]
    truth: dict[str, list[Any]] = field(default_factory=dict)
    head: Any = None
    head_spec: HeadSpec | None = None
    scaling: dict[str, Any] = field(default_factory=dict)
    frozen: list[TagRecord] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    template: str = ""
    #: stage 1: every template the domain tag is trained in (``template`` is the first)
    contexts: list[str] = field(default_factory=list)
    #: stage 1 with ``hyper.align``: the :class:`~tagregistry.training.align.Alignment`
    align: Any = None


def make_encoder(tokenizer: Any, catalog: Any, recipe: Recipe, max_length: int | None) -> PromptEncoder:
    """The compose engine's prompt encoder (with the recipe's domain tokenizer override)."""
    overrides = {}
    if recipe.domain_tokenizer is not None:
        from tagregistry.plugins.manager import load_object

        spec = catalog.get("tokenizers", recipe.domain_tokenizer)
        overrides[recipe.tag] = load_object(spec.factory)()
    return PromptEncoder(tokenizer, catalog, overrides, max_length=max_length)


def setup_domain(recipe: Recipe, splits: Splits, encoder: PromptEncoder, model: Any) -> StageSetup:
    """Stage 1: one new domain tag, LM loss on unlabelled strings."""
    if recipe.freeze:
        raise TrainingError("stage 1 trains one domain tag from scratch; remove 'freeze'")
    hyper = recipe.hyper
    slot = text_field(splits.train, recipe.data.text_field)
    domain = recipe.tag
    try:
        contexts = stage1_contexts(hyper.contexts, encoder.catalog, domain, slot)
    except InputError as exc:
        raise TrainingError(str(exc)) from None

    def encode(records: list[dict[str, Any]]) -> list[Example]:
        usable = [r for r in records if isinstance(r.get(slot), str) and r[slot].strip()]
        return encode_domain_text(encoder, domain, slot, usable, hyper.n_vectors, hyper.max_length,
                                  contexts)

    tag = initial_tag(hyper.init, model, hyper.n_vectors, tokenizer=encoder.tokenizer,
                      phrase=hyper.init_phrase, seed=recipe.seed)
    return StageSetup(
        tags={domain: tag}, trainable=[domain], task="lm", metric="loss",
        train=encode(splits.train), validation=encode(splits.validation), test=encode(splits.test),
        domains=[domain], template=contexts[0], contexts=contexts,
    )


def function_spec(recipe: Recipe, catalog: Any) -> FunctionSpec:
    """The recipe's inline spec, or the plugin function it names (default: the tag)."""
    if isinstance(recipe.function, FunctionSpec):
        declared = catalog.functions.get(recipe.function.name)
        if declared is not None:
            from tagregistry.plugins.function_specs import check_agreement

            check_agreement(declared, recipe.function, catalog, "this recipe")
        return recipe.function
    spec = catalog.get("functions", recipe.function or recipe.tag)
    if spec.name != recipe.tag:
        raise TrainingError(
            f"function {spec.name!r} ends its template with {{{spec.name}}}, so the trained tag "
            f"must be named {spec.name!r}, not {recipe.tag!r}"
        )
    return spec


def frozen_record(store: TagStore, name: str, refs: dict[str, str], base: Any) -> TagRecord:
    ref = refs.get(name, name)
    try:
        record = store.resolve(ref, base)
    except NotFoundError as exc:
        raise TrainingError(
            f"domain tag {ref!r} is not registered for base {base.model_id}: train it first "
            f"(a stage-1 recipe with 'stage: 1' and 'tag: {name}'), or pull a tag pack holding it"
        ) from exc
    if record.kind != "domain":
        raise TrainingError(f"{record.ref} is a {record.kind} tag; only domain tags can be frozen here")
    return record


def setup_function(
    recipe: Recipe, splits: Splits, encoder: PromptEncoder, model: Any, store: TagStore,
    catalog: Any, base_record: Any,
) -> StageSetup:
    """Stages 2 and 3: a function tag and its head on frozen (or enriched) domain tags."""
    import torch

    from tagregistry.heads import fit_label_scaling, scale_labels
    from tagregistry.heads.outputs import build_head

    hyper = recipe.hyper
    spec = function_spec(recipe, catalog)
    pieces = parse_template(spec.template)
    domains = list(dict.fromkeys(p.name for p in pieces if isinstance(p, TagPiece) and p.slot))
    slots = list(dict.fromkeys(p.slot for p in pieces if isinstance(p, TagPiece) and p.slot
                               and p.slot not in spec.tag_only_slots))
    per_record: dict[str, list[dict[str, str]] | None] = dict.fromkeys(("train", "validation", "test"))
    if recipe.data.slot_domain_fields:
        per_record = {name: record_slot_domains(getattr(splits, name), recipe.data.slot_domain_fields,
                                                spec, catalog)
                      for name in per_record}
        domains = list(dict.fromkeys(d for rows in per_record.values() for row in rows or []
                                     for d in row.values()))
    if recipe.stage == 2 and len(domains) > 1:
        raise TrainingError(
            f"{spec.name} reads {len(domains)} domains ({', '.join(domains)}): use stage 3"
        )
    if recipe.stage == 3 and len(domains) < 2:
        raise TrainingError(f"{spec.name} reads {len(domains)} domain(s): stage 3 is for two or more; use stage 2")
    refs = {parse_ref(r).name: r for r in recipe.freeze}
    unused = sorted(set(refs) - set(domains))
    if unused:
        raise TrainingError(f"freeze lists {unused}, which the template {spec.template!r} does not use")
    frozen = [frozen_record(store, d, refs, base_record) for d in domains]
    tags: dict[str, Any] = {r.name: store.load_tensor(r).float() for r in frozen}
    tags[spec.name] = initial_tag(hyper.init, model, hyper.n_vectors, tokenizer=encoder.tokenizer,
                                  phrase=hyper.init_phrase, seed=recipe.seed)
    trainable = [spec.name] + (domains if hyper.enrich else [])
    lengths = {name: int(t.shape[0]) for name, t in tags.items()}

    if spec.output in ("scalar", "vector"):
        task = "regression"
    elif spec.output == "class":
        task = "classification"
    else:
        task = "lm"
    head_spec = spec.head if task != "lm" else None
    if head_spec is not None and hyper.head_hidden is not None:
        head_spec = head_spec.model_copy(update={"hidden": hyper.head_hidden})
    labels = head_spec.labels if head_spec is not None else None

    def encode(split: str) -> list[Example]:
        return encode_function_examples(
            encoder, spec.template, slots, getattr(splits, split), lengths,
            label_field=recipe.data.label_field, output=spec.output, labels=labels,
            enrich=hyper.enrich,
            group_field=hyper.refit_balance,  # the recipe refuses it without head_refit
            tag_only=spec.tag_only_slots, slot_domains=per_record[split],
        )

    train, validation, test = encode("train"), encode("validation"), encode("test")
    truth = {"validation": [e.target for e in validation], "test": [e.target for e in test]}
    scaling: dict[str, Any] = {}
    head = None
    if head_spec is not None:
        readout = hyper.head_readout().check(int(model.config.num_hidden_layers))
        head = build_head(catalog, head_spec, readout.width(int(tags[spec.name].shape[1])))
        head.requires_grad_(True)
        head.train()
        if task == "regression":
            width = head_spec.output_dim
            bad = [i for i, e in enumerate(train) if len(e.target) != width]
            if bad:
                raise InputError(f"training record {bad[0]} has {len(train[bad[0]].target)} "
                                 f"label values; the {spec.name} head predicts {width}")
            if hyper.scale_labels:
                scaling = fit_label_scaling(torch.tensor([e.target for e in train], dtype=torch.float64))
                scaled = scale_labels(torch.tensor([e.target for e in train], dtype=torch.float64), scaling)
                for example, row in zip(train, scaled.tolist(), strict=True):
                    example.target = row
    metric = recipe.eval.metric or (spec.metric if task != "lm" else "loss")
    return StageSetup(
        tags=tags, trainable=trainable, task=task, metric=metric, train=train,
        validation=validation, test=test, truth=truth, head=head, head_spec=head_spec,
        scaling=scaling, frozen=frozen, domains=domains, template=spec.template,
    )


def record_slot_domains(records: list[dict[str, Any]], fields: dict[str, str], spec: FunctionSpec,
                        catalog: Any) -> list[dict[str, str]]:
    """``{slot: domain}`` of each record, read from its ``fields[slot]`` field (data whose
    records mix domains, e.g. translation pairs in several directions); InputError naming the
    record for a missing field or a domain the slot does not accept."""
    from tagregistry.engine.contexts import slot_accepts

    slots = {slot.name: slot for slot in spec.slots}
    unknown = sorted(set(fields) - set(slots))
    if unknown:
        raise TrainingError(f"data.slot_domain_fields names {unknown}, which {spec.name} does not "
                            f"have; its slots: {', '.join(slots)}")
    out = []
    for index, record in enumerate(records):
        row = {}
        for slot, field_name in fields.items():
            domain = record.get(field_name)
            if not isinstance(domain, str) or not domain:
                raise InputError(f"record {index} has no {field_name!r} value naming the domain of "
                                 f"slot {slot!r}; fields: {sorted(record)}")
            if not slot_accepts(slots[slot], domain, catalog):
                raise InputError(f"record {index}: {spec.name}'s slot {slot!r} does not accept "
                                 f"domain {domain!r} (from field {field_name!r})")
            row[slot] = domain
        out.append(row)
    return out
