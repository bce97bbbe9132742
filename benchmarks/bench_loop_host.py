"""Host-side cost of the training loop: ``Registry.train`` on a tiny model (CPU).

With a 2-layer, hidden-64 model the arithmetic is negligible, so steps/s measures what the
loop costs the host per step (collation, moving the batch, Python around the forward and
backward pass, syncs, optimiser) -- the part that bounds small models on a GPU. Stage 1
(``<SMILES>``) and stage 2 (``<QED>``, fast path) at batch 32 on RDKit's NCI sample, as in
``gpu_check.py``. To compare two revisions, run it in both trees, alternating.

Run: ``python -m benchmarks.bench_loop_host [--steps 200] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

from benchmarks import gpu_check


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    from tagregistry.registry import Registry
    from tagregistry.testing import tiny_base

    plan = gpu_check.recipes(args)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        registry = Registry(f"sqlite:///{tmp}/r.db")
        base = tiny_base("llama", hidden_size=64)
        for name, recipe, register in (("stage1", plan["stage1"], True),
                                       ("stage2_fast", plan["stage2"], False)):
            registry.train(gpu_check.with_steps(recipe, 5), base=base, progress=False,
                           register=False)
            cpu = time.process_time()
            result = registry.train(gpu_check.with_steps(recipe, args.steps), base=base,
                                    progress=False, register=register)
            out[f"{name}_steps_per_s"] = result.steps / result.seconds
            # process CPU time of the whole call (data loading included) for reference
            out[f"{name}_call_cpu_s"] = time.process_time() - cpu
        registry.close()
    for key, value in out.items():
        print(f"{key:28s} {value:10.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
