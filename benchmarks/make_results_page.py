"""Write ``docs/results.md`` and the packs' results files from the JSON in ``benchmarks/results/``.

Usage: ``python -m benchmarks.make_results_page [--check]``. ``--check`` exits 1 when the page
or a pack's ``*.results.json`` (what ``tagregistry demo`` shows) differs from what the JSON
gives (the test suite runs the same comparison). Each part of the page has its module:
``results_tasks`` (task tables, recipes, the paper's column; ``results_evaluate`` reads
``tagregistry evaluate`` reports), ``results_studies``, ``results_protein``,
``results_sections`` (domain tags, bf16), ``results_summary`` (summary and pack files).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks import results_ba_splits, results_sections, results_selfies, results_translation
from benchmarks import results_summary as summary
from benchmarks.results_format import details, escape
from benchmarks.results_protein import PROTEIN_BASELINES, PROTEIN_TAGS, protein_section
from benchmarks.results_studies import readout_section, refit_section
from benchmarks.results_tasks import (
    RESULTS,
    TASK_ORDER,
    load,
    paper_section,
    tag_recipes,
    task_section,
)
from benchmarks.results_text import INTRO, METHODS, VERSIONS

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "results.md"


def summary_rows(directory: Path = RESULTS, shipped: list[str] | None = None) -> list[summary.SummaryRow]:
    """The summary's rows: the chem tasks, then the protein tasks (``shipped``: chem refs)."""
    documents = load(directory)
    order = [t for t in TASK_ORDER if t in documents]
    refs = None if shipped is None else {ref.split("@")[0]: ref for ref in shipped}
    rows = summary.chem_rows(documents, order, refs)
    protein = directory / PROTEIN_BASELINES
    if protein.is_file():
        tags = directory / PROTEIN_TAGS
        rows += summary.protein_rows(json.loads(protein.read_text()),
                                     json.loads(tags.read_text()) if tags.is_file() else {})
    return rows


def render(directory: Path = RESULTS, shipped: list[str] | None = None) -> str:
    """The whole page as Markdown; ``shipped``: the chem function tags to sum up (default: the pack's)."""
    documents = load(directory)
    lines = [INTRO, *summary.summary_section(summary_rows(directory, shipped), escape),
             *details("How each method is fitted", METHODS.splitlines()),
             *details("Which tag versions the rows name", VERSIONS.splitlines()),
             *details("Tag recipes (one line per tag version)", tag_recipes(documents)),
             *paper_section(documents.get("qed-nci")), *readout_section(directory),
             *refit_section(directory, documents)]
    order = [t for t in TASK_ORDER if t in documents] + sorted(set(documents) - set(TASK_ORDER))
    missing = [t for t in TASK_ORDER if t not in documents]
    for task in order:
        lines += task_section(documents[task])
    lines += protein_section(directory) + results_ba_splits.ba_splits_section(directory)
    lines += results_sections.domain_section(directory) + results_sections.precision_section(directory)
    lines += results_selfies.selfies_section(directory)
    lines += results_translation.translation_section(directory)
    if missing:
        lines += ["## Not measured yet", "", ", ".join(f"`{t}`" for t in missing) + ".", ""]
    return "\n".join(lines).rstrip() + "\n"


def outputs() -> dict[Path, str]:
    """Every file this script writes, with its text."""
    return {PAGE: render(), **summary.pack_results(summary_rows())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, do not write")
    args = parser.parse_args(argv)
    stale = [path for path, text in outputs().items()
             if (path.read_text() if path.is_file() else "") != text]
    if args.check:
        for path in stale:
            print(f"{path} is out of date: run python -m benchmarks.make_results_page")
        return 1 if stale else 0
    for path, text in outputs().items():
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
