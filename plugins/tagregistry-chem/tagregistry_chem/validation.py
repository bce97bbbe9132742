"""Parse SMILES with RDKit, turning its failures into :class:`InputError` messages that say
what is wrong and where, and keeping RDKit's own log off stderr."""

from __future__ import annotations

import re

from rdkit import Chem

from tagregistry.errors import InputError
from tagregistry_chem.rdkit_log import ErrorLog, quiet_rdkit
from tagregistry_chem.units import SHOWN, atom_offsets, pointer, quote, unclosed_rings

_PREFIX = "SMILES Parse Error: "
_POSITION = re.compile(r"around position (\d+)")
_FOR_INPUT = re.compile(r"\s+for input: '.*'$")
_ADVICE = "fix the SMILES (RDKit must be able to parse and sanitise it) and try again"


def stripped_text(value: object, kind: str, advice: str) -> str:
    """``value`` without surrounding whitespace; refuses non-strings and empty strings, naming
    ``kind`` (``"SMILES"``) and saying ``advice`` for an empty one."""
    if not isinstance(value, str):
        raise InputError(f"expected a {kind} string, got {type(value).__name__} {value!r:.80}")
    text = value.strip()
    if not text:
        raise InputError(f"empty {kind} {quote(value)}: {advice}")
    return text


def clean_input(value: object) -> str:
    """``value`` stripped of surrounding whitespace; rejects non-strings, empties and spaces."""
    text = stripped_text(value, "SMILES", "pass a molecule such as 'CCO'")
    space = re.search(r"\s", text)
    if space is not None:
        raise InputError(
            f"invalid SMILES {quote(value)}: whitespace at position {space.start() + 1}\n"
            f"{pointer(text, space.start())}\n"
            "a SMILES has no spaces (names and CXSMILES extensions are not supported); remove it"
        )
    return text


def try_parse(text: str) -> Chem.Mol | None:
    """The sanitised molecule, or None when RDKit rejects ``text`` (nothing is logged)."""
    with quiet_rdkit():
        return Chem.MolFromSmiles(text)


def parse_smiles(value: object) -> Chem.Mol:
    """Parse and sanitise ``value``; an invalid SMILES raises InputError quoting it."""
    text = clean_input(value)
    with quiet_rdkit() as log:
        mol = Chem.MolFromSmiles(text)
    if mol is None:
        raise InputError(_explain(text, log))
    return mol


def canonical_smiles(mol: Chem.Mol) -> str:
    """RDKit's canonical SMILES with stereochemistry and isotopes kept."""
    with quiet_rdkit():
        return Chem.MolToSmiles(mol, canonical=True, isomericSmiles=True)


def _explain(text: str, log: ErrorLog) -> str:
    """Why RDKit rejected ``text``: a syntax error (with its position) or a chemistry problem."""
    with quiet_rdkit():
        raw = Chem.MolFromSmiles(text, sanitize=False)
        problems = list(Chem.DetectChemistryProblems(raw)) if raw is not None else []
    if raw is None:
        return _syntax_message(text, log)
    if not problems:
        detail = "; ".join(log.lines) or "RDKit rejected it without saying why"
        return f"invalid SMILES {quote(text)}: {_shorten(detail, text)}; {_ADVICE}"
    offsets = atom_offsets(text)
    parts = []
    where = None
    for problem in problems:
        parts.append(f"{problem.GetType()}: {problem.Message()}")
        if where is None:
            where = _problem_atom(problem)
    message = f"invalid SMILES {quote(text)}: RDKit cannot sanitise it: " + "; ".join(parts)
    if where is not None and where < len(offsets):
        message += f"\n{pointer(text, offsets[where])}  (atom #{where})"
    return f"{message}\n{_ADVICE}"


def _problem_atom(problem: object) -> int | None:
    if hasattr(problem, "GetAtomIdx"):
        return int(problem.GetAtomIdx())
    if hasattr(problem, "GetAtomIndices"):
        indices = list(problem.GetAtomIndices())
        return int(indices[0]) if indices else None
    return None


def _syntax_message(text: str, log: ErrorLog) -> str:
    position: int | None = None
    reasons: list[str] = []
    for line in log.lines:
        if not line.startswith(_PREFIX):
            continue  # RDKit's echo of the input and its caret line
        body = line[len(_PREFIX) :]
        found = _POSITION.search(body)
        if found is not None:
            position = int(found.group(1))
            continue
        if body.startswith("Failed parsing SMILES"):
            continue
        reason = _FOR_INPUT.sub("", body).rstrip(":")
        if reason not in reasons:
            reasons.append(reason)
    if not reasons:
        reasons = log.lines or ["syntax error (upgrade RDKit to 2026.03+ for details)"]
    reasons = [_shorten(reason, text) for reason in reasons]
    message = f"invalid SMILES {quote(text)}: RDKit could not parse it: " + "; ".join(reasons)
    open_rings = unclosed_rings(text)
    if position is not None:
        offset = min(max(position - 1, 0), len(text))
        message += f" (around position {position})\n{pointer(text, offset)}"
    elif open_rings:
        message += f" (ring bond opened at position {open_rings[0] + 1} is never closed)"
        message += f"\n{pointer(text, open_rings[0])}"
    return f"{message}\n{_ADVICE}"


def _shorten(reason: str, text: str) -> str:
    """RDKit's reason with its echo of a long input cut like :func:`quote` cuts it."""
    return reason.replace(text, text[:SHOWN] + "...") if len(text) > SHOWN else reason
