"""Seeding for reproducible runs (same seed, data and machine: identical tag tensors)."""

from __future__ import annotations

import random


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices)."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def torch_generator(seed: int) -> object:
    """A CPU ``torch.Generator`` seeded with ``seed`` (independent of the global RNG)."""
    import torch

    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator
