"""Model cache commands: ``cache path`` and ``cache check``."""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register this group's subcommands."""
    cache = sub.add_parser("cache", help="the per-user cache of converted base models: path, check")
    cache_sub = cache.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    p = cache_sub.add_parser("path", help="print the model cache folder")
    p.set_defaults(handler=cmd_cache_path)
    p = cache_sub.add_parser(
        "check", help="verify every cached model file against the sha256 recorded when it was written",
        description="Hash every file of every cached model folder and compare with the hashes "
        "recorded when it was written (loads check sizes and sampled blocks only). Exit status 1 "
        "if any file is damaged or missing.",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_cache_check)


def cmd_cache_path(args: argparse.Namespace) -> int:
    from tagregistry.maintenance import model_cache_location
    from tagregistry.terminal import echo

    echo(model_cache_location())
    return 0


def cmd_cache_check(args: argparse.Namespace) -> int:
    from tagregistry.maintenance import check_model_cache, model_cache_location
    from tagregistry.terminal import echo, print_json

    root = model_cache_location()
    checks = check_model_cache(root)
    damaged = [c for c in checks if c.problems]
    if args.json:
        print_json({"cache": str(root), "ok": not damaged, "folders": [
            {"folder": str(c.folder), "ok": not c.problems, "files": c.files, "bytes": c.bytes,
             "seconds": round(c.seconds, 3), "problems": c.problems, "note": c.note}
            for c in checks]})
        return 1 if damaged else 0
    for check in checks:
        for problem in check.problems:
            echo(f"DAMAGED  {check.folder.name}/{problem}")
        state = f"{len(check.problems)} problem(s)" if check.problems else check.note or "ok"
        echo(f"{check.folder}: {check.files} files, {check.bytes / 1e6:.1f} MB hashed in "
             f"{check.seconds:.2f}s; {state}")
    if not checks:
        echo(f"{root}: no cached models")
    if damaged:
        echo("delete the damaged folder(s) above; each is converted again on next use")
    return 1 if damaged else 0
