"""Initial values for new tags: the paper's rescaled mean embedding, a phrase, or random."""

from __future__ import annotations

from typing import Any

from tagregistry.errors import InputError


def phrase_init(model: Any, tokenizer: Any, phrase: str, n_vectors: int) -> Any:
    """The phrase's token embeddings, repeated cyclically (or cut) to ``n_vectors`` rows."""
    from tagregistry.engine.splice import embed_tokens

    ids = tokenizer(phrase, add_special_tokens=False)["input_ids"]
    if not ids:
        raise InputError(f"init phrase {phrase!r} tokenizes to nothing; choose another phrase")
    rows = [ids[i % len(ids)] for i in range(n_vectors)]
    return embed_tokens(model, rows).float().cpu().contiguous()


def random_init(embeddings: Any, n_vectors: int, generator: Any) -> Any:
    """Gaussian vectors with the embedding matrix's per-coordinate standard deviation."""
    import torch

    weight = embeddings.detach().float()
    std = weight.std().item()
    return torch.randn(n_vectors, weight.shape[1], generator=generator) * std


def initial_tag(
    method: str, model: Any, n_vectors: int, *, tokenizer: Any = None,
    phrase: str | None = None, seed: int = 0,
) -> Any:
    """A float32 ``(n_vectors, hidden)`` starting value chosen by ``method``.

    ``mean`` is the paper's (the compose engine's ``mean_embedding_init``: the mean token
    embedding rescaled to the average token norm, with a tiny seeded jitter).
    """
    from tagregistry.training.seeding import torch_generator

    if method == "mean":
        from tagregistry.engine.splice import mean_embedding_init

        return mean_embedding_init(model, n_vectors, seed=seed)
    if method == "phrase":
        if not phrase:
            raise InputError("init 'phrase' needs a phrase (hyper.init_phrase)")
        return phrase_init(model, tokenizer, phrase, n_vectors)
    if method == "random":
        return random_init(model.get_input_embeddings().weight, n_vectors, torch_generator(seed))
    raise InputError(f"unknown init {method!r}; use 'mean', 'phrase' or 'random'")
