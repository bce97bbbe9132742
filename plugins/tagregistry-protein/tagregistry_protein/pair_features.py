"""Frozen-base features of drug-target pairs for the probes on a binding-affinity split.

Each protein and each ligand is read once, alone, as its domain renders it (``M K T ...``,
the SMILES string), and pooled as the product's probes pool slot values (the mean over the
value's tokens at the layers :func:`~tagregistry.evaluation.features.feature_layers`
picks); a pair's features are its protein's and its ligand's, concatenated. Reading the two
apart runs each of the KIBA sample's 189 proteins once instead of once per pair (5,000 pairs
of ~700 residues), which is what makes nearest-neighbour, ridge and MLP probes affordable
on a CPU.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from tagregistry.evaluation.features import feature_layers


@torch.inference_mode()
def pooled_value(base: Any, ids: Sequence[int], layers: Sequence[int]) -> torch.Tensor:
    """The mean over ``ids``' positions of ``base``'s hidden states at ``layers``, concatenated."""
    body = base.model.base_model
    states = body(input_ids=torch.tensor([list(ids)], device=base.device),
                  output_hidden_states=True).hidden_states
    return torch.cat([states[layer][0].float().mean(0) for layer in layers]).double().cpu()


def pair_features(base: Any, encode: Callable[[str, str], list[int]],
                  records: Sequence[Mapping[str, Any]],
                  progress: Callable[[Sequence[str]], Sequence[str]] | None = None,
                  cache: dict[tuple[str, str], torch.Tensor] | None = None) -> torch.Tensor:
    """``(n, 2 * layers * hidden)`` features of ``records`` (``protein`` and ``smiles`` values).

    ``encode(domain, value)`` gives a value's token ids (its domain's rendering, with the
    tokenizer's prefix); ``progress`` wraps the list of distinct values (e.g. ``tqdm``);
    ``cache`` (``{(domain, value): features}``) is reused and filled across calls.
    """
    layers = feature_layers(int(base.model.config.num_hidden_layers))
    cache = {} if cache is None else cache
    wanted = sorted({(domain, str(r[slot])) for r in records
                     for domain, slot in (("Protein", "protein"), ("SMILES", "smiles"))} - set(cache))
    keys = progress(wanted) if progress is not None else wanted
    for key in keys:
        cache[key] = pooled_value(base, encode(*key), layers)
    return torch.stack([torch.cat([cache[("Protein", str(r["protein"]))],
                                   cache[("SMILES", str(r["smiles"]))]]) for r in records])
