"""Binding affinity on the KIBA sample's cold and warm splits: the tags beside every baseline.

Per split (``cold``: the files' own split, no protein or ligand shared between train and
test; ``warm``: the 5,000 pairs re-split 70/10/20 with seed 0), on the test pairs: the
training mean, per-protein and per-ligand means, the additive protein + ligand model
(``tagregistry_protein.pair_baselines``), and nearest-neighbour, ridge and MLP probes
(``tagregistry.evaluation.baselines``) on the frozen base's features of each protein and
ligand (``tagregistry_protein.pair_features``); the tag's row is its record's test metrics,
measured by the trainer on the same split. Writes ``benchmarks/results/binding-affinity-splits.json``.

Run: ``OMP_NUM_THREADS=1 python -m benchmarks.binding_affinity_splits --cold-tag BindingAffinity@1
--warm-tag BindingAffinity@2``
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
DATASETS = {"cold": "bindingaffinity-kiba", "warm": "bindingaffinity-kiba-warm"}
MAX_RESIDUES = 1500  # the recipes' training length cap


def split_records(split: str) -> dict[str, list[dict]]:
    from tagregistry_protein import kiba

    load = kiba.load_binding_affinity_warm if split == "warm" else kiba.load_binding_affinity
    return {part: load(part, max_residues=MAX_RESIDUES) for part in ("train", "validation", "test")}


def tag_row(registry, ref: str, split: str) -> dict:
    record = registry.get(ref)
    dataset = record.source.get("recipe", {}).get("data", {}).get("dataset")
    if dataset != DATASETS[split]:
        raise SystemExit(f"{record.ref} was trained on {dataset!r}, not the {split} split "
                         f"({DATASETS[split]})")
    metrics = record.metrics
    return {"method": "tag", "ref": record.ref, "mse": metrics["test_mse"],
            "mae": metrics["test_mae"], "pearson": metrics["test_pearson"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-tag", help="a BindingAffinity tag trained on the cold split")
    parser.add_argument("--warm-tag", help="a BindingAffinity tag trained on the warm split")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)

    import torch
    from tagregistry_protein.pair_baselines import pair_baseline_rows
    from tagregistry_protein.pair_features import pair_features
    from tqdm.auto import tqdm

    from tagregistry import Registry
    from tagregistry.engine.prompt import PromptEncoder
    from tagregistry.evaluation.baselines import PROBES, ProbeData
    from tagregistry.evaluation.scores import regression_scores
    from tagregistry.models.loading import load_base

    registry = Registry()
    base = load_base("smollm2-135m", catalog=registry.catalog)
    encoder = PromptEncoder(base.tokenizer, registry.catalog)

    def encode(domain: str, value: str) -> list[int]:
        slot = domain.lower()
        return list(encoder.prefix_ids) + encoder.token_ids(encoder.render(domain, slot, value))

    out: dict = {"command": "python -m benchmarks.binding_affinity_splits " + shlex.join(sys.argv[1:]),
                 "base": base.record.model_id, "dtype": str(base.model.dtype).removeprefix("torch."),
                 "splits": {}}
    cache: dict = {}  # each protein and ligand is read once for both splits
    for split, tag in (("cold", args.cold_tag), ("warm", args.warm_tag)):
        parts = split_records(split)
        train, validation, test = parts["train"], parts["validation"], parts["test"]
        truth = [float(r["label"]) for r in test]
        identity_rows = pair_baseline_rows(train, validation, test)
        started = time.perf_counter()
        features = {name: pair_features(base, encode, records,
                                        progress=lambda keys, n=f"{split} {name}": tqdm(keys, desc=n), cache=cache)
                    for name, records in parts.items()}
        labels = {name: torch.tensor([float(r["label"]) for r in records], dtype=torch.float64)
                  for name, records in parts.items()}
        probe = ProbeData.standardised(features["train"], labels["train"], features["validation"],
                                       labels["validation"], features["test"])
        rows = [{"method": name, **regression_scores(PROBES[name](probe).tolist(), truth)}
                for name in ("mean", "nn", "ridge", "mlp")]
        rows[1:1] = identity_rows  # the table's order: mean, identity baselines, probes
        if tag:
            rows.append(tag_row(registry, tag, split))
        out["splits"][split] = {"dataset": DATASETS[split], "sizes": {k: len(v) for k, v in parts.items()},
                                "feature_seconds": round(time.perf_counter() - started, 1), "rows": rows}
        print(f"{split} split ({DATASETS[split]}, {len(test)} test pairs):")
        for row in rows:
            print(f"  {row['method']:<13} MSE {row['mse']:.4f}  r {row['pearson']:+.3f}"
                  + (f"  ({row['ref']})" if "ref" in row else ""))
    if not args.no_save:
        path = RESULTS / "binding-affinity-splits.json"
        path.write_text(json.dumps(out, indent=1) + "\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
