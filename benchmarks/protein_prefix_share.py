"""How much of a BindingAffinity prompt depends only on the protein (what prefix reuse would save).

Run: ``python benchmarks/protein_prefix_share.py [--split train]``. Encodes every KIBA pair
of the split with the default base's tokenizer and the plugin's template (p = 10, proteins
capped at the training length), and prints the mean prompt length, the mean number of tokens
after the protein (all that a cached protein prefix leaves to compute per pair) and their ratio.
Tokenisation only: no model forward pass.
"""

from __future__ import annotations

import argparse
from statistics import fmean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", default="train", choices=["train", "validation", "test"])
    args = parser.parse_args()

    from tagregistry_protein.kiba import load_binding_affinity
    from tagregistry_protein.shipped import TRAINING_MAX_RESIDUES

    from tagregistry.engine.prompt import PromptEncoder
    from tagregistry.models.loading import load_base
    from tagregistry.plugins.manager import get_catalog

    base, catalog = load_base(device="cpu"), get_catalog()
    spec = catalog.get("functions", "BindingAffinity")
    encoder = PromptEncoder(base.tokenizer, catalog)
    records = load_binding_affinity(args.split, max_residues=TRAINING_MAX_RESIDUES)
    lengths = {"Protein": 10, "SMILES": 10, "BindingAffinity": 10}
    total, after = [], []
    for r in records:
        prompt = encoder.encode(spec.template, {"protein": r["protein"], "smiles": r["smiles"]}, lengths)
        total.append(len(prompt))
        after.append(len(prompt) - prompt.value_span("protein").end)
    proteins = len({r["protein_id"] for r in records})
    print(f"{args.split}: {len(records)} pairs over {proteins} proteins")
    print(f"mean prompt tokens {fmean(total):.1f}; after the protein {fmean(after):.1f}; "
          f"ratio {fmean(total) / fmean(after):.1f}x fewer tokens per pair with a cached protein prefix")
    print(f"protein prefix passes per epoch: {len(records)} now, {proteins} with reuse")


if __name__ == "__main__":
    main()
