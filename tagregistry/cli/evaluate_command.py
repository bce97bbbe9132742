"""``tagregistry evaluate REFS...``: a function tag beside the baselines, as a table or JSON."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from tagregistry.errors import InputError
from tagregistry.terminal import echo

BASELINES = "mean,nn,ridge,mlp"


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the ``evaluate`` subcommand."""
    p = sub.add_parser(
        "evaluate", help="score a function tag beside the mean, nearest-neighbour, ridge and MLP "
        "baselines; a domain tag by its perplexity where it is used",
        description="Composes the tags, predicts the held-out records and fits the baselines "
        "(training mean, nearest neighbour, ridge and MLP probes on the frozen base's features) "
        "on the training split of the same data. By default the data is the tag's own recipe "
        "data (the same files, split and seed); --data names a plugin dataset; --input scores a "
        "file of held-out records instead of a split.",
    )
    p.add_argument("refs", nargs="+", metavar="NAME[@V]", help="the function tag and its domain tags")
    p.add_argument("--data", metavar="DATASET", help="a plugin dataset (default: the tag's recipe data)")
    p.add_argument("--split", default="test", metavar="SPLIT",
                   help="the split to score: test (default), validation, train or another split "
                   "the dataset declares (e.g. MOSES's test_scaffolds)")
    p.add_argument("--input", metavar="FILE", help="score this .csv/.jsonl file instead of a split")
    p.add_argument("--label", metavar="COLUMN",
                   help="the column holding the targets (default: the recipe's label_field)")
    p.add_argument("--baselines", default=BASELINES, metavar="LIST",
                   help=f"comma-separated, from {BASELINES} (default: all; '' for none)")
    p.add_argument("--base", metavar="BASE", help="base model (default: smollm2-135m)")
    p.add_argument("--function", metavar="NAME", help="the function to score, when several are composed")
    p.add_argument("--limit", type=limit_argument, metavar="N|SPLIT=N,...",
                   help="at most N training records, held-out splits N/4 (default: the recipe's limit), "
                   "or per split, e.g. train=1000,validation=200,test=500 (splits not named: all); "
                   "for a domain tag, at most N held-out records")
    p.add_argument("--batch-size", type=int, default=16, metavar="N")
    p.add_argument("--json", nargs="?", const="-", metavar="FILE",
                   help="write the report as JSON to FILE (no FILE: print it)")
    p.set_defaults(handler=cmd_evaluate)


def limit_argument(text: str) -> int | dict[str, int]:
    """``--limit``: one positive number, or ``split=N`` pairs separated by commas."""
    def count(word: str) -> int:
        if not word.strip().isdigit() or int(word) < 1:
            raise argparse.ArgumentTypeError(f"{word!r} is not a positive whole number")
        return int(word)

    if "=" not in text:
        return count(text)
    limits: dict[str, int] = {}
    for pair in text.split(","):
        name, _, number = pair.partition("=")
        if not name.strip() or not number:
            raise argparse.ArgumentTypeError(f"{pair!r} is not SPLIT=N (e.g. train=1000,test=500)")
        limits[name.strip()] = count(number)
    return limits


def cmd_evaluate(args: argparse.Namespace) -> int:
    from tagregistry.registry import Registry
    from tagregistry.terminal import print_json, print_table

    registry = Registry(args.db)
    if len(args.refs) == 1 and registry.get(args.refs[0]).kind == "domain":
        return _evaluate_domain(registry, args)
    baselines = [b.strip() for b in args.baselines.split(",") if b.strip()]
    report = registry.evaluate(
        args.refs, data=args.data, split=args.split, baselines=baselines, input=args.input,
        label=args.label, base=args.base, function=args.function, limit=args.limit,
        batch_size=args.batch_size)
    if args.json:
        words = sys.argv[1:]
        typed = words[words.index("evaluate") + 1:] if "evaluate" in words else args.refs
        report.provenance["command"] = "tagregistry evaluate " + shlex.join(typed)
    data = report.as_dict()
    if args.json == "-":
        print_json(data)
        return 0
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    scored = report.data.get("input") or f"{report.data.get('split')} split"
    where = report.data.get("dataset") or report.data.get("file") or "own files"
    echo(f"{report.function} on {scored} of {where}: {report.counts['scored']} records "
         f"(baselines fitted on {report.counts['train']} training records)")
    if any(report.skipped.values()):
        left = ", ".join(f"{n} {part}" for part, n in report.skipped.items() if n)
        echo(f"  left out (no value or label): {left}")
    rows = [{"method": row["method"], **{m: f"{row[m]:.4g}" for m in report.metrics},
             "seconds": row["seconds"]} for row in report.rows]
    print_table(rows, ["method", *report.metrics, "seconds"])
    if args.json:
        echo(f"wrote {args.json}")
    return 0


def _evaluate_domain(registry: Any, args: argparse.Namespace) -> int:
    """A domain tag's held-out perplexity per layout: trained, untrained, no tag."""
    from tagregistry.terminal import print_json, print_table

    ref = registry.get(args.refs[0]).ref
    if isinstance(args.limit, dict):
        raise InputError(f"{ref} is a domain tag: --limit takes one number of held-out records")
    scores = registry.evaluate_domain(ref, base=args.base, split=args.split, limit=args.limit,
                                      batch_size=args.batch_size)
    data = {"tag": ref, "split": args.split, "limit": args.limit,
            "layouts": [s.to_dict() for s in scores]}
    if args.json == "-":
        print_json(data)
        return 0
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    echo(f"{ref}: perplexity of its spans on the {args.split} split, with the tag, its untrained "
         "initialisation and no tag, in each layout it is used in")
    print_table([{"layout": s.layout, "tag": f"{s.tag:.2f}", "untrained": f"{s.untrained:.2f}",
                  "no tag": f"{s.no_tag:.2f}", "vs no tag": f"{-s.reduction:+.0%}",
                  "tokens": str(s.tokens)} for s in scores],
                ["layout", "tag", "untrained", "no tag", "vs no tag", "tokens"])
    if args.json:
        echo(f"wrote {args.json}")
    return 0
