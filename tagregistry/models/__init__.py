"""Base LLMs: loading (named, Hugging Face id or local path), freezing and fingerprints.

Entry point: :func:`tagregistry.models.loading.load_base` returns a
:class:`~tagregistry.models.loading.LoadedBase` (frozen model, tokenizer, store record).
"""
