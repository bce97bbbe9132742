"""Evaluation: a tag beside its baselines on the same split (domain tags: perplexity where used)."""
