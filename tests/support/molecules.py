"""Random SMILES-like strings for tests that need many distinct molecules."""

from __future__ import annotations

import random

ATOMS = ["C", "N", "O", "c1ccccc1", "(", ")", "=", "Cl", "F"]


def make_molecules(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ATOMS) for _ in range(rng.randint(2, 9))) for _ in range(n)]
