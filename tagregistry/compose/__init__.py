"""Composition: splice tag vectors into a frozen causal LM and read heads or generate.

Entry points (stable; the training engine builds on them):

- ``tagregistry.models.loading.load_base(base=None, *, dtype=None, device=None, ...)``
  -> ``LoadedBase(name, model, tokenizer, record)``; ``LoadedBase.from_model(model,
  tokenizer, model_id=...)`` wraps an existing pair. The model is frozen (eval, no grad);
  ``record.fingerprint`` is the sha256 of the input embeddings (cached on disk).
- ``tagregistry.compose.prompt.PromptEncoder(tokenizer, catalog=None, ...)``
  ``.encode(template, values, tag_lengths, domains=None)`` -> ``EncodedPrompt`` with
  ``input_ids``, ``tags`` (``TagOccurrence(name, start, length)``), ``values``
  (``ValueSpan(slot, domain, start, end)`` -- stage-1 LM targets), ``function_start``
  (prefix before it is independent of the function tag) and ``readout`` (last position of
  the function tag). Stage 1 uses a template without a function tag, e.g. ``"{SMILES:s}"``.
- ``tagregistry.compose.batching.collate(prompts, table.layout(), pad_id)`` ->
  ``PromptBatch`` (left-padded ``input_ids``, ``attention_mask``, ``position_ids``,
  ``tag_rows``, ``readout``, ``function_start``, ``value_mask``; ``.lm_labels()``).
- ``tagregistry.compose.splice.TagTable(tags, trainable=...)`` (an ``nn.Module`` with one
  Parameter per tag) and ``splice_embeddings(model, input_ids, tag_rows, table)`` ->
  ``inputs_embeds`` (differentiable w.r.t. the table). ``mean_embedding_init(model, p)``
  is the paper's initialisation; ``embed_tokens(model, ids)`` gives token embeddings.
- ``tagregistry.compose.forward.run_base(model, inputs_embeds, attention_mask,
  position_ids, cache=None, use_cache=False, logits=False)`` -> ``ForwardOutput(hidden,
  logits, cache)``; ``forward_batch(model, table, batch, logits=...)`` splices and runs;
  ``readout(hidden, batch.readout)`` -> ``(B, H)``.
- ``tagregistry.heads``: ``fit_label_scaling(labels)`` -> the ``HeadRecord.config`` dict
  (``label_mean``/``label_std``), ``scale_labels`` / ``unscale``; ``build_head`` in
  ``tagregistry.heads.outputs`` makes a head module from a catalog head type.
- Zero-shot bookkeeping: a function tag's ``TagRecord.source["domains"]`` (list of domain
  tag names it was trained with) decides which compositions are marked zero-shot.

User API: ``Registry.compose(*refs, base=None, **options)`` ->
:class:`tagregistry.compose.model.TaggedModel`.
"""
