"""Pack commands: save tags as a pack folder, push a pack to the Hub, pull one back."""

from __future__ import annotations

import argparse
import warnings
from typing import Any

from tagregistry.terminal import echo


def _registry(args: argparse.Namespace) -> Any:
    from tagregistry.registry import Registry

    return Registry(args.db)


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register this group's subcommands."""
    p = sub.add_parser("push", help="publish tags as a tag pack in a Hugging Face Hub repo")
    p.add_argument("refs", nargs="+", metavar="NAME[@V]", help="tags to publish")
    p.add_argument("--repo", required=True, metavar="ORG/NAME", help="Hub model repo (created if needed)")
    p.add_argument("--revision", metavar="BRANCH", help="branch to commit to (default: main)")
    p.add_argument("--private", action="store_true", help="create the repo as private")
    p.add_argument("--message", metavar="MSG", help="commit message")
    p.add_argument("--base", metavar="ID", help="base model id, when a name exists on several")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_push)

    p = sub.add_parser("save-pack", help="write tags as a tag pack folder (manifest, files, card)")
    p.add_argument("refs", nargs="+", metavar="NAME[@V]", help="tags to pack")
    p.add_argument("directory", metavar="DIR", help="a new or empty folder")
    p.add_argument("--name", metavar="NAME", help="pack name (default: the folder's name)")
    p.add_argument("--base", metavar="ID", help="base model id, when a name exists on several")
    p.add_argument("--shipped-by", metavar="DIST",
                   help="plugin distribution that will ship the folder (card says install-pack)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_save_pack)

    p = sub.add_parser("load-pack", help="verify and register a tag pack folder (from save-pack)")
    p.add_argument("directory", metavar="DIR", help="the pack folder (tagpack.json inside)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_load_pack)

    p = sub.add_parser("pull", help="download, verify and register a tag pack from the Hub")
    p.add_argument("repo", metavar="ORG/NAME[@REV]", help="repo, optionally pinned to a branch, tag or commit")
    p.add_argument("--revision", metavar="REV", help="branch, tag or commit sha (default: main)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_pull)


def cmd_push(args: argparse.Namespace) -> int:
    from tagregistry.terminal import print_json

    result = _registry(args).push(
        args.refs, args.repo, revision=args.revision, private=args.private,
        commit_message=args.message, base=args.base,
    )
    if args.json:
        print_json(result.as_dict())
    elif result.committed:
        echo(f"pushed {', '.join(args.refs)} to {result.repo_id}@{result.revision}: "
              f"commit {result.commit_sha[:12]} ({len(result.files)} files changed)")
        echo(result.url)
    else:
        echo(f"{result.repo_id}@{result.revision} already holds these tags "
              f"(commit {result.commit_sha[:12]}); nothing to push")
    return 0


def cmd_save_pack(args: argparse.Namespace) -> int:
    from tagregistry.errors import PackWarning
    from tagregistry.sharing import describe_pack
    from tagregistry.terminal import print_json, size_text

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        folder = _registry(args).save_pack(args.refs, args.directory, base=args.base, name=args.name,
                                           shipped_by=args.shipped_by)
    for warning in caught:
        if issubclass(warning.category, PackWarning):
            echo(f"warning: {warning.message}", err=True)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    summary = describe_pack(folder)
    if args.json:
        print_json(summary)
        return 0
    echo(f"wrote pack {summary['name']!r} ({', '.join(summary['tags'])}) to {folder}: "
         f"{len(summary['files'])} files, {size_text(summary['bytes'])}")
    for r in summary["requires"]:
        echo(f"  needs {r['distribution']} {r['version'] or ''} for {', '.join(r['provides'])}".rstrip())
    return 0


def cmd_load_pack(args: argparse.Namespace) -> int:
    return _print_registered(_registry(args).load_pack(args.directory), args.json)


def cmd_pull(args: argparse.Namespace) -> int:
    return _print_registered(_registry(args).pull(args.repo, revision=args.revision), args.json)


def _print_registered(records: Any, as_json: bool) -> int:
    """The tags a pack registered (or found already registered), as a table or JSON."""
    from tagregistry.terminal import print_json, print_table

    if as_json:
        print_json([{**r.model_dump(mode="json"), "status": _status(records, r)} for r in records])
        return 0
    rows = []
    for record in records:
        pack = record.source.get("pack", {})
        origin = f"{pack['repo']}@{str(pack.get('revision', '?'))[:12]}" if "repo" in pack else pack.get("name")
        rows.append({**record.summary(), "status": _status(records, record), "from": origin})
    print_table(rows, ["name", "version", "kind", "base", "n_vectors", "dim", "head", "status", "from"])
    return 0


def _status(records: Any, record: Any) -> str:
    return "registered" if records.is_new(record) else "already registered"
