"""Composition: the user's ``TaggedModel`` built from registered tags.

- :mod:`~tagregistry.compose.builder`: ``compose(...)`` resolves tags bound to one base,
  fills each function's slots with composed domains (zero-shot slots marked) and builds heads.
- :mod:`~tagregistry.compose.tagged_model`: ``TaggedModel`` (``predict``, ``predict_batch``,
  ``predict_many``, ``generate``), with :class:`~tagregistry.compose.binding.FunctionBinding`
  per function tag.
- :mod:`~tagregistry.compose.predict`: head predictions over mixed-task batches and shared
  prefixes.

The prompts, splicing, forward passes, readouts and generation underneath are the engine's
(:mod:`tagregistry.engine`); heads, their settings and refits are :mod:`tagregistry.heads`.
User API: ``Registry.compose(*refs, base=None, **options)``.
"""
