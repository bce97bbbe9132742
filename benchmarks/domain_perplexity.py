"""Domain tags where they are used: ``Registry.evaluate_domain`` for registered tags, as a table.

For each tag, the held-out perplexity of its spans in the stage-1 layout and in every
installed function's context, with the trained tag, its untrained initialisation and no tag,
and the reduction against no tag (issue 20's goal: at least 50 % in composed prompts).
Writes ``benchmarks/results/domain-<TAG>.json`` (``--no-save`` prints only).

Run: ``OMP_NUM_THREADS=1 python -m benchmarks.domain_perplexity SMILES@1 [--limit 200]``
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("refs", nargs="+", help="domain tags, e.g. SMILES@1 Protein")
    parser.add_argument("--split", default="test")
    parser.add_argument("--limit", type=int, default=None, help="held-out records per tag")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--dtype", default=None, help="the base's dtype (default: automatic)")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)

    from tagregistry import Registry

    registry = Registry()
    for ref in args.refs:
        scores = registry.evaluate_domain(ref, split=args.split, limit=args.limit,
                                          batch_size=args.batch_size, dtype=args.dtype)
        resolved = registry.get(ref).ref
        print(f"{resolved}: {args.split} perplexity of its spans ({scores[0].tokens} tokens in the "
              "stage-1 layout)")
        print(f"  {'layout':<18} {'tag':>8} {'untrained':>10} {'no tag':>8} {'vs no tag':>10}")
        for s in scores:
            print(f"  {s.layout:<18} {s.tag:8.2f} {s.untrained:10.2f} {s.no_tag:8.2f} "
                  f"{-s.reduction:+10.0%}")
        if not args.no_save:
            RESULTS.mkdir(exist_ok=True)
            out = RESULTS / f"domain-{resolved.split('@')[0]}.json"
            found = json.loads(out.read_text()) if out.is_file() else {}
            found[resolved] = {
                "split": args.split, "limit": args.limit,
                "command": "python -m benchmarks.domain_perplexity " + shlex.join(sys.argv[1:]),
                "layouts": [s.to_dict() for s in scores],
            }
            out.write_text(json.dumps(found, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
