"""Stage-3 binding-affinity steps with and without cached protein segments, side by side.

Builds ``<BindingAffinity>`` training batches from KIBA training pairs (``--proteins``
proteins with ``--ligands`` ligands each, proteins capped at the shipped recipe's 1,500
residues) on the default base, with mean-initialised ``<Protein>``/``<SMILES>``/
``<BindingAffinity>`` tags (step cost does not depend on their values). Two trainers share
the base: the plain fast path (everything before the function tag once per batch, without
gradient) and the same path starting from cached protein segments
(:mod:`tagregistry.training.prefix_cache`). The cached variant first fills its store (one
pass over the pairs: reported as the one-off cost); then both run the same random batches,
alternating, and the script prints the median process-CPU seconds per step of each and
their ratio, plus the store's size.

Run: ``OMP_NUM_THREADS=1 python -m benchmarks.bench_segment_cache [--steps 6] [--batch 8]``
"""

from __future__ import annotations

import argparse
import random
import statistics
import time


def build(proteins: int, ligands: int, base: object = None) -> tuple[list, int, object, object]:
    """KIBA examples marked for segment caching, the pad id, and the two trainers
    (``base``: a loaded base, default ``load_base(device="cpu")``)."""
    import torch
    from tagregistry_protein.kiba import load_binding_affinity
    from tagregistry_protein.shipped import TRAINING_MAX_RESIDUES

    from tagregistry.engine.prompt import PromptEncoder
    from tagregistry.engine.splice import TagTable
    from tagregistry.heads import RegressionHead
    from tagregistry.models.loading import load_base
    from tagregistry.models.tokens import pad_token_id
    from tagregistry.plugins.manager import get_catalog
    from tagregistry.specs import HeadSpec
    from tagregistry.training.examples import encode_function_examples
    from tagregistry.training.prefix_cache import SegmentCache, mark_shared_segments
    from tagregistry.training.trainable import TagTrainer

    base, catalog = base or load_base(device="cpu"), get_catalog()
    records = load_binding_affinity("train", max_residues=TRAINING_MAX_RESIDUES)
    by_protein: dict[str, list] = {}
    for record in records:
        by_protein.setdefault(record["protein"], []).append(record)
    chosen = [r for pairs in list(by_protein.values())[:proteins] for r in pairs[:ligands]]
    spec = catalog.get("functions", "BindingAffinity")
    mean = base.model.get_input_embeddings().weight.detach().float().mean(0)
    tags = {n: mean.repeat(10, 1).clone() for n in ("Protein", "SMILES", "BindingAffinity")}
    encoder = PromptEncoder(base.tokenizer, catalog)
    examples = encode_function_examples(encoder, spec.template, ["protein", "smiles"], chosen,
                                        {n: 10 for n in tags}, label_field="label", output="scalar")
    mark_shared_segments(examples)
    trainers = []
    for cached in (False, True):
        table = TagTable({k: v.clone() for k, v in tags.items()}, trainable=["BindingAffinity"])
        head = RegressionHead(base.hidden_size, HeadSpec(type="regression"))
        trainer = TagTrainer(base.model, table, head, "regression")
        trainer.segment_cache = SegmentCache(16 * 2**30) if cached else None
        trainers.append(trainer)
    torch.manual_seed(0)
    return examples, pad_token_id(base.tokenizer), trainers[0], trainers[1]


def step_seconds(trainer, batch) -> float:
    started = time.process_time()
    loss = trainer(batch)
    loss.backward()
    trainer.zero_grad(set_to_none=True)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--proteins", type=int, default=4)
    parser.add_argument("--ligands", type=int, default=8)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=6, help="timed steps per variant")
    args = parser.parse_args()

    import torch

    from tagregistry.training.examples import collate_examples

    torch.set_num_threads(1)
    examples, pad, plain, cached = build(args.proteins, args.ligands)
    layout = plain.table.layout()
    lengths = [e.length for e in examples]
    print(f"{len(examples)} pairs over {args.proteins} proteins; prompt tokens mean "
          f"{statistics.fmean(lengths):.0f}, segment (protein prefix) mean "
          f"{statistics.fmean(e.prefix_length for e in examples):.0f}")
    started = time.process_time()
    for start in range(0, len(examples), args.batch):  # one pass fills the store
        cached.predict(collate_examples(examples[start:start + args.batch], layout, pad))
    fill = time.process_time() - started
    store = cached.segment_cache
    print(f"filling the store: {fill:.1f} CPU s for {len(store)} segments, "
          f"{store.bytes / 2**20:.0f} MiB")
    rng = random.Random(0)
    times: dict[str, list[float]] = {"plain fast path": [], "cached segments": []}
    for step in range(args.steps):
        batch = collate_examples(rng.sample(examples, args.batch), layout, pad)
        pairs = [("plain fast path", plain), ("cached segments", cached)]
        for name, trainer in pairs if step % 2 == 0 else reversed(pairs):
            times[name].append(step_seconds(trainer, batch))
    medians = {k: statistics.median(v) for k, v in times.items()}
    for name, value in medians.items():
        print(f"{name:<16} {value:7.2f} CPU s per step of {args.batch} (median of {args.steps})")
    print(f"cached / plain: {medians['cached segments'] / medians['plain fast path']:.3f}x CPU time "
          f"per step; the store pays for itself after {fill / max(1e-9, medians['plain fast path'] - medians['cached segments']):.1f} steps")


if __name__ == "__main__":
    main()
