"""Tag-LLM rows: registered tags evaluated through ``Registry.compose`` and ``predict_batch``,
and the SELFIES zero-shot comparison."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.harness.results import row


def open_registry(home: str | None) -> Any:
    """The registry in ``home`` (its ``registry.db``), or the default one."""
    from tagregistry import Registry

    if home is None:
        return Registry()
    return Registry(f"sqlite:///{Path(home).expanduser().resolve() / 'registry.db'}")


def tag_provenance(model: Any) -> list[dict[str, Any]]:
    """Ref, sha256, data hash, training source and stored metrics of every composed tag."""
    records = [*model.domain_records.values(), *(b.record for b in model.bindings.values())]
    return [{"ref": r.ref, "sha256": r.sha256, "data_hash": r.data_hash,
             "n_vectors": r.n_vectors, "source": r.source, "metrics": r.metrics} for r in records]


def taglm_rows(task: Any, data: dict[str, list[dict[str, Any]]], args: Any,
               command: str) -> list[dict[str, Any]]:
    """One row: the composed tags (``--tags``, default the task's domain and function)."""
    refs = args.tags or task.refs
    with open_registry(args.home) as registry:
        model = registry.compose(*refs, base=args.base, device=args.device)
        test = data["test"]
        pred = model.predict_batch([{task.slot: r[task.slot]} for r in test],
                                   function=task.function, progress=True)
        tags = tag_provenance(model)
    label = "Tag-LLM " + " + ".join(t["ref"] for t in tags)
    return [row(label, pred, [r["label"] for r in test], command, tags=tags,
                base=model.base.record.model_dump())]


def predict_without_domain_tag(model: Any, function: str, domain: str,
                               values: list[str], batch_size: int = 16) -> list[float]:
    """The function tag and head on prompts whose value is written as plain text (rendered
    by ``domain``'s tokenizer) with no domain tag before it. For heads that read the value's
    tokens (``readout_values``) the value is tokenised on its own, as in a tagged prompt, and
    the domain tag's positions are dropped."""
    import torch

    from tagregistry.compose.predict import head_features
    from tagregistry.engine.collate import collate_prompts
    from tagregistry.engine.forward import run_base
    from tagregistry.engine.splice import splice_embeddings
    from tagregistry.heads.outputs import head_values
    from tagregistry.specs import SLOT_PATTERN

    binding = model.binding(function)
    template = binding.spec.template
    pieces = [m.group(0) for m in SLOT_PATTERN.finditer(template) if m.group(2)]
    if len(pieces) != 1:
        raise ValueError(f"{function} has {len(pieces)} slots; this comparison needs one")
    renderer = model.encoder.domain_tokenizer(domain)
    prompts = []
    for value in values:
        if binding.readout.values:  # the head needs to know the value's tokens
            prompts.append(_without_domain_tag(model, template, pieces[0], domain, value))
            continue
        text = renderer.render(value)
        if "{" in text or "}" in text:
            raise ValueError(f"{value!r} renders with braces; it cannot be inlined in a template")
        prompts.append(model.encoder.encode(template.replace(pieces[0], text), {},
                                            model.table.lengths()))
    tok = model.tokenizer
    from tagregistry.models.tokens import pad_token_id

    pad = pad_token_id(tok)
    out: list[float] = []
    with torch.inference_mode():
        for begin in range(0, len(prompts), batch_size):
            batch = collate_prompts(prompts[begin:begin + batch_size], model.table.layout(), pad)
            batch = batch.to(model.base.device)
            embeds = splice_embeddings(model.model, batch.input_ids, batch.tag_rows, model.table)
            result = run_base(model.model, embeds, batch.attention_mask, batch.position_ids,
                              all_layers=binding.readout.intermediate)
            raw = binding.head(head_features(binding, result, batch.function_start,
                                             batch.readout, batch.value_mask).float())
            out += head_values(binding.head_spec, raw, binding.head_config, "value", scalar=True)
    return out


def _without_domain_tag(model: Any, template: str, piece: str, domain: str, value: str) -> Any:
    """The prompt with ``value`` in its slot (tokenised as a value, its span known to heads
    that read the values) and the domain tag's positions removed."""
    from tagregistry.engine.prompt import EncodedPrompt, TagOccurrence, ValueSpan

    slot = piece.strip("{}").split(":")[1]
    prompt = model.encoder.encode(template.replace(piece, "{" + domain + ":" + slot + "}"),
                                  {slot: value}, model.table.lengths())
    [tag] = [t for t in prompt.tags if t.name == domain]

    def moved(position: int) -> int:
        return position - tag.length if position >= tag.end else position

    return EncodedPrompt(
        input_ids=prompt.input_ids[:tag.start] + prompt.input_ids[tag.end:],
        tags=[TagOccurrence(t.name, moved(t.start), t.length) for t in prompt.tags if t is not tag],
        values=[ValueSpan(v.slot, v.domain, moved(v.start), moved(v.end)) for v in prompt.values],
        function_start=None if prompt.function_start is None else moved(prompt.function_start),
        readout=moved(prompt.readout))


def selfies_zero_shot(task: Any, data: dict[str, list[dict[str, Any]]], args: Any,
                      command: str, references: bool = True) -> list[dict[str, Any]]:
    """``compose("SELFIES", "QED")`` on the test molecules as SELFIES, against the training
    mean and (``references``) the same ``<QED>`` with no domain tag and ``<SMILES>`` + ``<QED>``
    (neither depends on ``<SELFIES>``)."""
    from tagregistry_chem.selfies_codec import smiles_to_selfies

    from tagregistry.errors import InputError

    refs = args.tags or ["SELFIES", "SMILES", task.function]
    by_name = {ref.split("@")[0]: ref for ref in refs}
    molecules, skipped = [], 0
    for record in data["test"]:
        try:
            molecules.append((record["smiles"], smiles_to_selfies(record["smiles"]), record["label"]))
        except InputError:
            skipped += 1
    truth = [y for _, _, y in molecules]
    selfies = [s for _, s, _ in molecules]
    note = {"test_molecules": len(molecules), "skipped_not_selfies": skipped}
    mean = sum(r["label"] for r in data["train"]) / len(data["train"])
    rows = [row("training mean", [mean] * len(truth), truth, command, **note)]
    with open_registry(args.home) as registry:
        zero = registry.compose(by_name["SELFIES"], by_name[task.function], base=args.base,
                                device=args.device)
        pred = zero.predict_batch([{task.slot: s} for s in selfies], function=task.function,
                                  progress=True)
        tags = tag_provenance(zero)
        rows.append(row(f"<SELFIES> + <QED> zero-shot ({' + '.join(t['ref'] for t in tags)})",
                        pred, truth, command, tags=tags, zero_shot=zero.metadata["zero_shot"],
                        **note))
        if not references:
            return rows
        bare = predict_without_domain_tag(zero, task.function, "SELFIES", selfies)
        rows.append(row(f"<QED> with no domain tag (SELFIES as text, {tags[-1]['ref']})", bare,
                        truth, command, **note))
        if "SMILES" in by_name:
            ref_model = registry.compose(by_name["SMILES"], by_name[task.function],
                                         base=args.base, device=args.device)
            same = ref_model.predict_batch([{task.slot: s} for s, _, _ in molecules],
                                           function=task.function, progress=True)
            rows.append(row("reference: <SMILES> + <QED> on the same molecules as SMILES", same,
                            truth, command, tags=tag_provenance(ref_model), **note))
    return rows
