"""NCI and MOSES molecules in one labelled data set, for tags meant to serve both.

``train`` is every NCI training molecule plus ``moses_train`` MOSES training molecules,
shuffled together with ``seed``; ``validation`` and ``test`` are the NCI split plus the first
``moses_eval`` molecules of the same MOSES split (MOSES ``validation`` is carved from its
training file, ``test`` is its test file). The defaults (1,000 and 200, seed 0) pick exactly
the MOSES molecules of the benchmark harness's ``qed-moses`` train and validation subsample.
NCI labels are computed by RDKit on load, MOSES labels come from the on-disk label cache
(:mod:`tagregistry_chem.label_cache`). Every record names its ``source`` (``"nci"`` or
``"moses"``), which ``hyper.refit_balance: source`` balances the head refit by.
"""

from __future__ import annotations

import random
from typing import Any

from tagregistry.errors import InputError
from tagregistry_chem import datasets, moses

#: function -> NCI loader
_NCI = {"QED": datasets.load_qed, "LogP": datasets.load_logp, "TPSA": datasets.load_tpsa}
SPLITS = ("train", "validation", "test")


def _combined(function: str, split: str, limit: int | None, seed: int, moses_train: int,
              moses_eval: int) -> list[dict[str, Any]]:
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r} for the NCI + MOSES data; choose one of {', '.join(SPLITS)}")
    for name, value in (("moses_train", moses_train), ("moses_eval", moses_eval)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(f"{name} must be a non-negative integer, got {value!r}")
    records = [{**r, "source": "nci"} for r in _NCI[function](split, None, seed)]
    records += [{**r, "source": "moses"}
                for r in moses.labelled(function, split, moses_train if split == "train" else moses_eval, seed)]
    random.Random(seed).shuffle(records)
    return records if limit is None else records[:limit]


def load_qed_nci_moses(split: str = "train", limit: int | None = None, seed: int = 0,
                       moses_train: int = 1000, moses_eval: int = 200) -> list[dict[str, Any]]:
    """NCI + MOSES molecules labelled with QED."""
    return _combined("QED", split, limit, seed, moses_train, moses_eval)


def load_logp_nci_moses(split: str = "train", limit: int | None = None, seed: int = 0,
                        moses_train: int = 1000, moses_eval: int = 200) -> list[dict[str, Any]]:
    """NCI + MOSES molecules labelled with Crippen logP."""
    return _combined("LogP", split, limit, seed, moses_train, moses_eval)


def load_tpsa_nci_moses(split: str = "train", limit: int | None = None, seed: int = 0,
                        moses_train: int = 1000, moses_eval: int = 200) -> list[dict[str, Any]]:
    """NCI + MOSES molecules labelled with TPSA."""
    return _combined("TPSA", split, limit, seed, moses_train, moses_eval)
