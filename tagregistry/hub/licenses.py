"""Licence metadata the Hugging Face Hub accepts on a model card.

The Hub validates card metadata on commit: ``license`` must be one of its listed identifiers,
or ``other`` together with ``license_name`` (a lower-case slug) and ``license_link`` (a URL
or a file in the repo). Free-text licences recorded on tags ("BSD-3-Clause (RDKit data file)")
are mapped to a listed id when their first word is one; anything else becomes ``other``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

#: License identifiers from the Hub documentation's "Licenses" page
#: (https://huggingface.co/docs/hub/repositories-licenses; source file
#: docs/hub/repositories-licenses.md in github.com/huggingface/hub-docs, commit 008d54d).
HUB_LICENSE_IDS: frozenset[str] = frozenset("""
apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m bigscience-bloom-rail-1.0
bigcode-openrail-m afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause
bsd-3-clause-clear c-uda cc cc0-1.0 cc-by-2.0 cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by-sa-3.0
cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nd-4.0 cc-by-nc-nd-3.0
cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 cc-by-nc-sa-4.0 cdla-sharing-1.0
cdla-permissive-1.0 cdla-permissive-2.0 wtfpl ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1
agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0 lgpl lgpl-2.1 lgpl-3.0 isc lppl-1.3c ms-pl mpl-2.0 odc-by
odbl openrail++ osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib pddl lgpl-lr
deepfloyd-if-license llama2 gemma unknown other
""".split())

LICENSE_FILE = "LICENSE.md"
_SPDX_SUFFIXES = ("-only", "-or-later")


def hub_license_id(text: str) -> str | None:
    """The Hub id a free-text licence starts with (``"BSD-3-Clause (data)"`` -> ``bsd-3-clause``)."""
    words = re.split(r"[\s(,;]+", text.strip(), maxsplit=1)
    first = words[0].lower() if words and words[0] else ""
    for suffix in _SPDX_SUFFIXES:  # SPDX "GPL-3.0-only" is the Hub's "gpl-3.0"
        first = first.removesuffix(suffix)
    return first if first in HUB_LICENSE_IDS - {"other"} else None


def slug(text: str) -> str:
    """A lower-case ``a-z0-9-`` name for ``license_name``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64] or "custom"


def license_metadata(licences: Iterable[str | None]) -> dict[str, Any]:
    """Card metadata for the tags' licences: ``{"license": id}`` or an ``other`` triple.

    Empty when no tag records a licence. ``other`` points ``license_link`` at
    :data:`LICENSE_FILE`, which :func:`license_file_text` writes into the pack.
    """
    texts = sorted({t.strip() for t in licences if t and t.strip()})
    if not texts:
        return {}
    ids = {hub_license_id(t) for t in texts}
    if len(ids) == 1 and None not in ids:
        return {"license": ids.pop()}
    name = slug(texts[0]) if len(texts) == 1 else "mixed-" + slug("-".join(sorted(map(str, ids))))
    return {"license": "other", "license_name": name, "license_link": LICENSE_FILE}


def license_file_text(pack_name: str, tag_licences: dict[str, str | None]) -> str:
    """``LICENSE.md`` for a pack whose licence is ``other``: each tag's recorded licence."""
    lines = [f"# Licences of the tags in {pack_name}", "",
             "Each tag carries the licence recorded when it was trained (usually that of its "
             "training data).", "", "| tag | licence |", "|---|---|"]
    lines += [f"| `{ref}` | {text or 'not recorded'} |" for ref, text in tag_licences.items()]
    return "\n".join(lines) + "\n"
