"""Stage 1 aligned to a frozen domain tag (``hyper.align``): paired renderings, matched states.

Each training record holds one item written for both domains (a molecule as SELFIES and as
SMILES). Both are put into the same installed function template, the new tag in one copy
and the frozen tag (``align.to``) in the other, and the function tag's positions are filled
with the same fixed, untrained vectors (a *probe*: no function tag and no label is used).
The text after the span and the probe are the same tokens in both copies, so position for
position the base's hidden states there say what the base made of the span; the loss is
their squared difference at ``align.layers``, in standard deviations of the frozen tag's
states (fitted once on the training pairs), plus the usual next-token loss on the new span.
With ``align.values`` the mean state over each span's own tokens is matched too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from tagregistry.engine.collate import PromptBatch
from tagregistry.engine.contexts import placeholder, slot_accepts
from tagregistry.engine.forward import ForwardOutput, run_base
from tagregistry.engine.prompt import PromptEncoder
from tagregistry.engine.splice import splice_embeddings
from tagregistry.errors import InputError
from tagregistry.names import parse_ref
from tagregistry.training.align_config import AlignConfig
from tagregistry.training.batch_plans import eval_batches
from tagregistry.training.data import Splits, text_field
from tagregistry.training.examples import Example, collate_examples
from tagregistry.training.init import initial_tag
from tagregistry.training.recipe import Recipe
from tagregistry.training.stages import StageSetup, TrainingError, frozen_record
from tagregistry.training.trainable import TagBatch, TagTrainer

Record = dict[str, Any]


def pair_templates(catalog: Any, domain: str, target: str) -> list[tuple[str, str]]:
    """``(template, slot)`` of every installed one-slot function whose slot both domains fill."""
    out = []
    for _, spec in sorted(catalog.functions.items()):
        if len(spec.slots) == 1 and not spec.tag_only_slots:
            slot = spec.slots[0]
            if slot_accepts(slot, domain, catalog) and slot_accepts(slot, target, catalog):
                out.append((spec.template, slot.name))
    return out


def for_domain(template: str, slot: str, domain: str) -> str:
    """``template`` with ``domain`` in ``slot``'s placeholder."""
    from tagregistry.engine.template import TagPiece, parse_template

    named = next(p.name for p in parse_template(template)
                 if isinstance(p, TagPiece) and p.slot == slot)
    return template.replace(placeholder(named, slot), placeholder(domain, slot))


def encode_pairs(encoder: PromptEncoder, templates: Sequence[tuple[str, str]],
                 records: Sequence[Record], *, field: str, pair_field: str, domain: str,
                 target: str, lengths: dict[str, int], max_length: int) -> list[Example]:
    """One example per usable record: the ``domain`` prompt (next-token targets on its span)
    with the ``target`` prompt of the same item as its pair. Records lacking either string,
    or whose prompts exceed ``max_length`` tokens, are skipped; a bad string names its record."""
    out = []
    for index, record in enumerate(records):
        own, other = record.get(field), record.get(pair_field)
        if not (isinstance(own, str) and own.strip() and isinstance(other, str) and other.strip()):
            continue
        template, slot = templates[index % len(templates)]
        try:
            student = encoder.encode(for_domain(template, slot, domain),
                                     {slot: own}, lengths)
            teacher = encoder.encode(for_domain(template, slot, target),
                                     {slot: other}, lengths)
        except InputError as exc:
            raise InputError(f"record {index}: {exc}") from exc
        if max(len(student), len(teacher)) > max_length:
            continue
        span, pair_span = student.values[0], teacher.values[0]
        if student.input_ids[span.end:] != teacher.input_ids[pair_span.end:]:  # pragma: no cover
            raise InputError(f"record {index}: the text after the span tokenises differently "
                             f"in the two prompts of {template!r}")
        out.append(Example(prompt=student, lm_spans=[(span.start, span.end)], pair=teacher))
    return out


@dataclass
class Alignment:
    """The objective: which layers, the loss weights and the per-feature scales."""

    config: AlignConfig
    layers: list[int]
    scale: dict[str, torch.Tensor] | None = None

    def trainer(self, model: Any, table: Any) -> AlignTrainer:
        return AlignTrainer(model, table, self)

    def loss(self, student: dict[str, torch.Tensor], teacher: dict[str, torch.Tensor]) -> torch.Tensor:
        """Mean squared difference in the frozen tag's standard deviations."""
        assert self.scale is not None, "fit_scale first"
        parts = [(((student[k] - teacher[k]) / self.scale[k].to(student[k].device)) ** 2).mean()
                 for k in student]
        return torch.stack(parts).mean()

    def fit_scale(self, trainer: AlignTrainer, examples: Sequence[Example], *, pad_id: int,
                  device: Any, batch_size: int) -> None:
        """Per-layer, per-feature standard deviations of the frozen tag's states."""
        chosen = list(examples[: self.config.scale_examples])
        if len(chosen) < 2:
            raise TrainingError("align needs at least two training pairs")
        found: dict[str, list[torch.Tensor]] = {}
        layout = trainer.table.layout()
        with torch.no_grad():
            for indices in eval_batches([e.length for e in chosen], batch_size):
                batch = collate_examples([chosen[i] for i in indices], layout, pad_id).to(device)
                for key, value in trainer.aligned_features(batch.paired).items():
                    found.setdefault(key, []).append(value.cpu())
        self.scale = {}
        for key, parts in found.items():
            std = torch.cat(parts, dim=1).std(dim=1, keepdim=True)  # (layers, 1, hidden)
            self.scale[key] = std.clamp_min(1e-3 * float(std.mean()) + 1e-8)

    def evaluate(self, trainer: AlignTrainer, examples: Sequence[Example], *, pad_id: int,
                 device: Any, batch_size: int) -> dict[str, float]:
        """``align_loss``: the loss over ``examples`` (0 when the states match)."""
        total, count = 0.0, 0
        layout = trainer.table.layout()
        with torch.no_grad():
            for indices in eval_batches([e.length for e in examples], batch_size):
                batch = collate_examples([examples[i] for i in indices], layout, pad_id).to(device)
                student = trainer.aligned_features(batch.prompts)
                teacher = trainer.aligned_features(batch.paired)
                total += float(self.loss(student, teacher)) * len(indices)
                count += len(indices)
        return {"align_loss": total / count} if count else {}


class AlignTrainer(TagTrainer):
    """A stage-1 trainer whose loss adds the alignment to the next-token loss."""

    def __init__(self, model: Any, table: Any, alignment: Alignment) -> None:
        super().__init__(model, table, None, "lm")
        self.alignment = alignment

    def states(self, prompts: PromptBatch) -> ForwardOutput:
        """Every layer's hidden states of whole prompts."""
        embeds = splice_embeddings(self.base, prompts.input_ids, prompts.tag_rows, self.table)
        return run_base(self.base, embeds, prompts.attention_mask, prompts.position_ids,
                        all_layers=True)

    def aligned_features(self, prompts: PromptBatch, out: ForwardOutput | None = None
                         ) -> dict[str, torch.Tensor]:
        """``after``: ``(layers, positions, hidden)`` states after each span (row by row);
        ``values`` (with ``align.values``): ``(layers, rows, hidden)`` span means."""
        out = out if out is not None else self.states(prompts)
        assert out.states is not None
        chosen = [out.hidden if k == -1 else out.states[k] for k in self.alignment.layers]
        mask = prompts.value_mask
        if not bool(mask.any(dim=1).all()):
            raise InputError("every aligned prompt needs a span")
        columns = torch.arange(mask.shape[1], device=mask.device)
        last = torch.where(mask, columns, torch.full_like(columns, -1)).max(dim=1).values
        after = columns[None] > last[:, None]
        found = {"after": torch.stack([s[after] for s in chosen]).float()}
        if self.alignment.config.values:
            weights = mask.float() / mask.sum(dim=1, keepdim=True)
            found["values"] = torch.stack([torch.einsum("bl,blh->bh", weights, s.float())
                                           for s in chosen])
        return found

    def forward(self, batch: TagBatch, fast: bool = True) -> torch.Tensor:
        """``weight`` x alignment + ``lm_weight`` x next-token loss on the new span."""
        if batch.paired is None or batch.lm_labels is None:
            raise ValueError("an aligned batch needs its paired prompts and lm_labels")
        config = self.alignment.config
        student = self.states(batch.prompts)
        with torch.no_grad():
            teacher = self.aligned_features(batch.paired)
        loss = config.weight * self.alignment.loss(
            self.aligned_features(batch.prompts, student), teacher)
        if config.lm_weight > 0:
            loss = loss + config.lm_weight * self.lm_loss(student.hidden, 0, batch.lm_labels)
        return loss


def setup_aligned(recipe: Recipe, splits: Splits, encoder: PromptEncoder, model: Any,
                  store: Any, base_record: Any) -> StageSetup:
    """Stage 1 with ``hyper.align``: the new tag, the frozen one, probes and paired examples."""
    hyper, config, domain = recipe.hyper, recipe.hyper.align, recipe.tag
    assert config is not None
    target = parse_ref(config.to).name
    if target == domain:
        raise TrainingError(f"align.to names {domain!r}, the tag being trained; name another domain")
    record = frozen_record(store, target, {target: config.to}, base_record)
    templates = pair_templates(encoder.catalog, domain, target)
    if not templates:
        raise TrainingError(f"align: no installed one-slot function takes both {domain!r} and "
                            f"{target!r}; install the plugin whose functions read {target!r}")
    pair_field = config.field or target.lower()
    own = domain.lower() if domain.lower() in splits.train[0] else None  # not the pair's field
    field = text_field(splits.train, recipe.data.text_field or own)
    if field == pair_field:
        raise TrainingError(f"align: data.text_field and align.field both name {field!r}; the "
                            f"{domain} and {target} renderings need a field each")
    if not any(pair_field in r for r in splits.train):
        raise TrainingError(f"align: the training records have no {pair_field!r} field (the "
                            f"{target} rendering of each item); set align.field")
    n_layers = int(model.config.num_hidden_layers)
    layers = config.layers if config.layers is not None else list(range(1, n_layers + 1))
    if max(layers) > n_layers:
        raise TrainingError(f"align.layers {layers}: the base has {n_layers} layers")
    new = initial_tag(hyper.init, model, hyper.n_vectors, tokenizer=encoder.tokenizer,
                      phrase=hyper.init_phrase, seed=recipe.seed)
    tags = {domain: new, target: store.load_tensor(record).float()}
    probe = initial_tag("mean", model, hyper.n_vectors, seed=recipe.seed + 1)
    from tagregistry.engine.template import TagPiece, parse_template

    for template, _ in templates:
        for piece in parse_template(template):
            if isinstance(piece, TagPiece) and not piece.slot:
                tags.setdefault(piece.name, probe)
    lengths = {name: int(t.shape[0]) for name, t in tags.items()}

    def encode(records: list[Record]) -> list[Example]:
        return encode_pairs(encoder, templates, records, field=field, pair_field=pair_field,
                            domain=domain, target=target, lengths=lengths,
                            max_length=hyper.max_length)

    train = encode(splits.train)
    if not train:
        raise TrainingError(f"align: no training record has both {field!r} and {pair_field!r}")
    contexts = [for_domain(t, s, domain) for t, s in templates]
    return StageSetup(
        tags=tags, trainable=[domain], task="lm", metric="loss", train=train,
        validation=encode(splits.validation), test=encode(splits.test), frozen=[record],
        domains=[domain], template=contexts[0], contexts=contexts,
        align=Alignment(config, list(layers)),
    )
