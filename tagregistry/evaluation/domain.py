"""``tagregistry evaluate DOMAIN``: a registered domain tag's held-out perplexity, measured
again on its recipe's split in every layout it is used in
(:mod:`tagregistry.training.domain_layouts` does the measuring; stage 1 records the same)."""

from __future__ import annotations

from typing import Any

from tagregistry.training.domain_layouts import LayoutPerplexity, domain_layouts, measure_domain


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
