"""The engine under composition, training and evaluation: tag vectors in a frozen causal LM.

- :mod:`~tagregistry.engine.template` parses templates (``{SMILES:smiles}``, ``{QED}``);
  :mod:`~tagregistry.engine.prompt` encodes them (``PromptEncoder(tokenizer, catalog)
  .encode(template, values, tag_lengths)`` -> ``EncodedPrompt`` with tag and value
  positions); :mod:`~tagregistry.engine.domain_tokenizers` renders specialised strings;
  :mod:`~tagregistry.engine.contexts` gives the text around a domain's slot in templates.
- :mod:`~tagregistry.engine.collate`: ``collate_prompts(prompts, table.layout(), pad_id)``
  -> a left-padded ``PromptBatch``.
- :mod:`~tagregistry.engine.splice`: ``TagTable`` (one Parameter per tag) and
  ``splice_embeddings(model, input_ids, tag_rows, table)`` -> ``inputs_embeds``.
- :mod:`~tagregistry.engine.forward`: ``run_base`` (one pass of the frozen base) and
  ``join_outputs`` (a cached prefix's states joined to the rest);
  :mod:`~tagregistry.engine.prefix_share` runs a prompt prefix shared by several prompts once;
  :mod:`~tagregistry.engine.readout`: what a head reads from the hidden states.
- :mod:`~tagregistry.engine.generation`: text after the function tag, in KV-cached batches.

Nothing here knows the registry, the store, or how tags were trained.
"""
