"""SELFIES zero-shot, one tag combination per run, into ``results/selfies-zero-shot.json``.

``compose("SELFIES", "QED")`` on the QED test molecules (NCI) written as SELFIES, beside the
training mean, the same ``<QED>`` with no domain tag (SELFIES as plain text) and
``compose("SMILES", "QED")`` on the same molecules (``harness.taglm.selfies_zero_shot``).
Each run replaces the stored combination with the same ``--label``.

Example (a registry holding the tags)::

    OMP_NUM_THREADS=1 python -m benchmarks.selfies_zero_shot --home HOME \\
        --tags SELFIES@2 SMILES@2 QED@3 --label "aligned SELFIES + tag-only QED"
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from benchmarks.harness.results import print_table
from benchmarks.tasks import get_task, load_split
from tagregistry.hashing import records_sha256

RESULTS = Path(__file__).resolve().parent / "results" / "selfies-zero-shot.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tags", nargs=3, required=True, metavar="REF",
                        help="the SELFIES, SMILES and QED tags, e.g. SELFIES@2 SMILES@2 QED@3")
    parser.add_argument("--label", required=True, help="what the combination is (stored with it)")
    parser.add_argument("--home", default=None, help="registry folder (default: $TAGREGISTRY_HOME)")
    parser.add_argument("--test-limit", type=int, default=200)
    parser.add_argument("--base", default=None)
    parser.add_argument("--device", default=None)
    parser.add_argument("--output", default=str(RESULTS))
    parser.add_argument("--zero-shot-only", action="store_true",
                        help="skip the no-domain-tag and SMILES rows (they depend only on the "
                        "SMILES and QED tags: the page takes them from another combination)")
    return parser.parse_args(argv)


def store(path: Path, header: dict[str, Any], combination: dict[str, Any]) -> None:
    """Add ``combination`` to the JSON at ``path`` (one per label; hand-written ``notes`` and
    ``versions`` kept; other data: start over)."""
    document = json.loads(path.read_text()) if path.is_file() else {}
    same = document.get("data") == header["data"]
    kept = [c for c in document.get("combinations", []) if same and c["label"] != combination["label"]]
    notes = {k: document[k] for k in ("notes", "versions") if same and k in document}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**header, **notes, "combinations": kept + [combination]}, indent=1)
                    + "\n")


def run(argv: list[str] | None = None) -> dict[str, Any]:
    from benchmarks.harness.taglm import selfies_zero_shot

    args = parse_args(argv)
    words = sys.argv[1:] if argv is None else argv
    command = "python benchmarks/selfies_zero_shot.py " + " ".join(shlex.quote(w) for w in words)
    task = get_task("qed-selfies-zeroshot", {"test": args.test_limit})
    data = {split: load_split(task, split) for split in ("train", "validation", "test")}
    rows = selfies_zero_shot(task, data, args, command, references=not args.zero_shot_only)
    header = {"task": task.name, "dataset": task.dataset, "note": task.note,
              "sizes": {k: len(v) for k, v in data.items()},
              "data": {k: records_sha256(v) for k, v in data.items()}}
    combination = {"label": args.label, "tags": args.tags, "command": command, "rows": rows}
    store(Path(args.output), header, combination)
    print_table(f"{task.name}: {args.label}", rows)
    return combination


if __name__ == "__main__":
    run()
