"""Paragraphs of one LibreOffice help page, by paragraph id.

Every translation of a help page keeps the paragraph ids of the English source, so pages in
two languages align paragraph by paragraph. Two formats are read:

- ``.html``, what Debian's ``libreoffice-help-<lang>`` packages ship: paragraphs and headings
  carry ``id="par_id..."`` / ``id="hd_id..."``; platform and module variants are hidden
  ``<span hidden="true" id="MAC...">`` siblings of the default (``id="default..."``), and only
  the default is kept.
- ``.xhp``, the help's XML source: ``<paragraph id="...">`` elements; only ``<defaultinline>``
  / ``<default>`` of a switch is kept, and bookmark and comment text is dropped.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

PARAGRAPH_ID = re.compile(r"^(par|hd)_id\w+$")
VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                       "meta", "param", "source", "track", "wbr"})
#: .xhp elements whose text is not part of the paragraph (variants, index entries, comments)
XHP_DROPPED = frozenset({"caseinline", "case", "bookmark_value", "comment", "image", "alt"})


class _PageParser(HTMLParser):
    """Collects ``{id: text}`` for the paragraphs of one page."""

    def __init__(self, xhp: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.xhp = xhp
        self.paragraphs: dict[str, str] = {}
        self._stack: list[str] = []  # open tags
        self._paragraph: tuple[str, int, list[str]] | None = None  # id, depth, text parts
        self._dropped_at: int | None = None  # depth of the dropped element we are inside

    def _starts_paragraph(self, tag: str, attrs: dict[str, str | None]) -> str | None:
        ident = attrs.get("id") or ""
        if self.xhp:
            return ident if tag in ("paragraph", "title") and ident else None
        return ident if PARAGRAPH_ID.match(ident) else None

    def _dropped(self, tag: str, attrs: dict[str, str | None]) -> bool:
        if self.xhp:
            return tag in XHP_DROPPED
        hidden = "hidden" in attrs and tag == "span"
        return hidden and not (attrs.get("id") or "").startswith("default")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_TAGS and not self.xhp:
            return
        values = dict(attrs)
        self._stack.append(tag)
        depth = len(self._stack)
        if self._dropped_at is None and self._dropped(tag, values):
            self._dropped_at = depth
        elif self._paragraph is None and self._dropped_at is None:
            ident = self._starts_paragraph(tag, values)
            if ident:
                self._paragraph = (ident, depth, [])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass  # <br/>, <embed .../>: no text

    def handle_endtag(self, tag: str) -> None:
        if tag not in self._stack:
            return  # a stray closing tag
        while self._stack:
            depth = len(self._stack)
            closed = self._stack.pop()
            if self._dropped_at == depth:
                self._dropped_at = None
            if self._paragraph is not None and self._paragraph[1] == depth:
                ident, _, parts = self._paragraph
                text = " ".join("".join(parts).split())
                if text and ident not in self.paragraphs:
                    self.paragraphs[ident] = text
                self._paragraph = None
            if closed == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._paragraph is not None and self._dropped_at is None:
            self._paragraph[2].append(data)


def page_paragraphs(path: Path) -> dict[str, str]:
    """``{paragraph id: text}`` of one ``.html`` or ``.xhp`` help page (whitespace collapsed;
    empty paragraphs left out; a repeated id keeps its first text)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    parser = _PageParser(xhp=path.suffix.lower() == ".xhp")
    parser.feed(text)
    parser.close()
    return parser.paragraphs
