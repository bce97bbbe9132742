"""Registry commands: plugins, list, show, versions, delete, export, import, db."""

from __future__ import annotations

import argparse
from typing import Any

from tagregistry.terminal import echo


def _registry(args: argparse.Namespace) -> Any:
    from tagregistry.registry import Registry

    return Registry(args.db)


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register this group's subcommands."""
    p = sub.add_parser("plugins", help="list installed plugins and what they contribute")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_plugins)

    p = sub.add_parser("list", help="list registered tags (newest version of each)")
    p.add_argument("--kind", choices=["domain", "function"])
    p.add_argument("--base", help="only tags bound to this base model id")
    p.add_argument("--all-versions", action="store_true", help="every version, not just the newest")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("show", help="show one tag version and its provenance")
    p.add_argument("ref", metavar="NAME[@V]")
    p.add_argument("--base", help="base model id, when the name exists on several")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser("versions", help="list every version of a tag")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--base", help="base model id, when the name exists on several")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_versions)

    p = sub.add_parser("delete", help="delete one pinned version (NAME@V)")
    p.add_argument("ref", metavar="NAME@V")
    p.add_argument("--base", help="base model id, when the name exists on several")
    p.set_defaults(handler=cmd_delete)

    p = sub.add_parser("export", help="write one tag (and its head) to a .safetensors file")
    p.add_argument("ref", metavar="NAME[@V]")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--base", help="base model id, when the name exists on several")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("import", help="register the tags in exported .safetensors files")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("install-pack", help="verify and register a tag pack shipped by a plugin")
    p.add_argument("name", metavar="PACK", help="pack name, as listed by `tagregistry plugins`")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_install_pack)

    db = sub.add_parser("db", help="registry database: path, backup, check")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    p = db_sub.add_parser("path", help="print the database URL and file")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_db_path)
    p = db_sub.add_parser("backup", help="copy a SQLite registry consistently to FILE")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(handler=cmd_db_backup)
    p = db_sub.add_parser("check", help="verify the database, every record and every tensor")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_db_check)


def cmd_plugins(args: argparse.Namespace) -> int:
    from tagregistry.installed import plugins
    from tagregistry.terminal import print_json, print_table

    infos = plugins()  # a broken plugin shows its error in the table instead of warning
    if args.json:
        print_json(infos)
        return 0
    rows = []
    for info in infos:
        contributes = "; ".join(f"{k}: {', '.join(v)}" for k, v in info["contributes"].items())
        rows.append({
            "plugin": info["name"], "distribution": info["distribution"], "version": info["version"],
            "status": info["status"] if not info["error"] else f"{info['status']} ({info['error']})",
            "contributes": contributes,
        })
    print_table(rows, ["plugin", "distribution", "version", "status", "contributes"])
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from tagregistry.terminal import print_json, print_table

    records = _registry(args).list(kind=args.kind, base=args.base, all_versions=args.all_versions)
    rows = [r.summary() for r in records]
    if args.json:
        print_json(rows)
    else:
        print_table(rows, ["name", "version", "kind", "base", "n_vectors", "dim", "head", "created_at"],
                    empty="no tags registered yet")
    return 0


def _print_record(record: Any, as_json: bool) -> None:
    from tagregistry.terminal import print_json

    data = record.model_dump(mode="json")
    if as_json:
        print_json(data)
        return
    echo(f"{record.name}@{record.version}  ({record.kind} tag)")
    echo(f"  base model:   {record.base}")
    echo(f"  vectors:      {record.n_vectors} x {record.dim} {record.dtype}")
    echo(f"  sha256:       {record.sha256}")
    if record.head:
        head = record.head
        hidden = f", {head.spec.hidden} hidden units" if head.spec.hidden else ""
        echo(f"  head:         {head.spec.type} -> {head.spec.output_dim}{hidden}, "
             f"{head.parameter_count():,} parameters {head.shapes}")
    echo(f"  created:      {record.created_at.isoformat(timespec='seconds')} (tagregistry {record.library_version})")
    for key in ("description", "license", "data_hash"):
        if getattr(record, key):
            echo(f"  {key + ':':<13} {getattr(record, key)}")
    if record.metrics:
        echo("  metrics:      " + ", ".join(f"{k}={v:.4g}" for k, v in record.metrics.items()))
    if record.source:
        echo("  source:")
        for key, value in record.source.items():
            if key == "recipe":
                value = "(full recipe: use --json)"
            echo(f"    {key + ':':<17} {value}")


def cmd_show(args: argparse.Namespace) -> int:
    _print_record(_registry(args).get(args.ref, base=args.base), args.json)
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    from tagregistry.terminal import print_json, print_table

    rows = [r.summary() for r in _registry(args).versions(args.name, base=args.base)]
    if args.json:
        print_json(rows)
    else:
        print_table(rows, ["name", "version", "kind", "base", "n_vectors", "created_at"])
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    record = _registry(args).delete(args.ref, base=args.base)
    echo(f"deleted {record.name}@{record.version} ({record.base.model_id})")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    import os

    from tagregistry.errors import InputError

    if os.path.lexists(args.file) and not args.force:
        raise InputError(f"{args.file} exists; choose a new file name or pass --force to replace it")
    path = _registry(args).export(args.ref, args.file, base=args.base)
    echo(f"wrote {path}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from tagregistry.terminal import print_json

    records = _registry(args).import_files(args.files)
    if args.json:
        rows = [{**r.model_dump(mode="json"), "status": _status(records, r)} for r in records]
        print_json(rows[0] if len(rows) == 1 else rows)
        return 0
    for record in records:
        prefix = "registered" if records.is_new(record) else "already registered as"
        echo(f"{prefix} {record.name}@{record.version} ({record.base.model_id})")
    return 0


def cmd_install_pack(args: argparse.Namespace) -> int:
    from tagregistry.terminal import print_json, print_table

    records = _registry(args).install_pack(args.name)
    rows = [{**r.summary(), "status": _status(records, r)} for r in records]
    if args.json:
        print_json(rows)
    else:
        print_table(rows, ["name", "version", "kind", "base", "n_vectors", "head", "status"])
    return 0


def _status(records: Any, record: Any) -> str:
    return "registered" if records.is_new(record) else "already registered"


def cmd_db_path(args: argparse.Namespace) -> int:
    from tagregistry.maintenance import registry_location
    from tagregistry.terminal import print_json

    url, path = registry_location(args.db)
    if args.json:
        print_json({"url": url, "path": str(path) if path else None})
    else:
        echo(path if path else url)
    return 0


def cmd_db_backup(args: argparse.Namespace) -> int:
    path = _registry(args).backup(args.file)
    echo(f"backed up to {path}")
    return 0


def cmd_db_check(args: argparse.Namespace) -> int:
    from tagregistry.maintenance import check_registry
    from tagregistry.terminal import print_json

    report = check_registry(args.db)
    if args.json:
        print_json(report.as_dict())
    else:
        for problem in report.problems:
            echo(f"DAMAGED  {problem}")
        state = "ok" if report.ok else f"{len(report.problems)} problem(s) found"
        echo(f"{report.where}: {report.records} records and {report.heads} heads checked; {state}")
        if not report.ok:
            echo("restore a backup (tagregistry db backup makes one), or delete the damaged "
                  "versions and register, import or pull them again")
    return 0 if report.ok else 1
