"""Bytes of a prediction file -> text, so that one bad byte costs one row, not the run.

Files are decoded as UTF-8 with ``surrogateescape``: a byte that is not UTF-8 survives as a
lone surrogate, which :func:`bad_bytes` finds in the row that holds it (that row gets an
error, the others are predicted) and which the output writes back unchanged. A file that
is not UTF-8 text at all (UTF-16, binary) is refused as a whole by :func:`check_text_file`.
"""

from __future__ import annotations

import codecs
import io
import re
import sys
from typing import IO, Any, BinaryIO

from tagregistry.errors import InputError

#: Bytes sniffed before reading a file (its first line must fit, or be cut here).
SAMPLE_BYTES = 64 * 1024
#: Longest value one cell may hold; longer ones fail their row (CSV's own limit is lifted).
MAX_CELL_CHARS = 1024 * 1024
_ESCAPED = re.compile("[\udc80-\udcff]")
_WIDE_BOMS = {codecs.BOM_UTF32_LE: "UTF-32", codecs.BOM_UTF32_BE: "UTF-32",
              codecs.BOM_UTF16_LE: "UTF-16", codecs.BOM_UTF16_BE: "UTF-16"}


def open_binary(path: str) -> BinaryIO:
    """``path`` opened for reading bytes; ``-`` is standard input, read whole (seekable)."""
    if path != "-":
        return open(path, "rb")  # noqa: SIM115 - the caller closes it
    stream: Any = sys.stdin
    data = stream.buffer.read() if hasattr(stream, "buffer") else stream.read().encode(
        "utf-8", "surrogateescape")
    return io.BytesIO(data)


def text_of(handle: BinaryIO, *, csv_newlines: bool) -> IO[str]:
    """A text view of ``handle`` (UTF-8, BOM dropped, undecodable bytes kept as surrogates)."""
    return io.TextIOWrapper(handle, encoding="utf-8-sig", errors="surrogateescape",
                            newline="" if csv_newlines else None)


def check_text_file(handle: BinaryIO, name: str, *, json_lines: bool) -> None:
    """Refuse a file that is not UTF-8 text, judged on its first line; ``handle`` is rewound.

    UTF-16/UTF-32 (a byte-order mark, or NUL bytes) and binary files fail here with one
    line saying what to do. In JSON Lines the first line may hold a bad byte inside an
    object (that row fails alone); a CSV/TSV header must be clean, it names the columns.
    """
    sample = handle.read(SAMPLE_BYTES)
    handle.seek(0)
    for bom, encoding in _WIDE_BOMS.items():
        if sample.startswith(bom):
            raise InputError(f"{name} is {encoding} text; tagregistry reads UTF-8: convert it "
                             f"(e.g. iconv -f {encoding} -t UTF-8) and retry")
    first = sample.removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n").split(b"\n", 1)[0]
    if b"\x00" in first:
        raise InputError(f"{name} holds NUL bytes in its first line: it is binary or UTF-16/32, "
                         "not UTF-8 text; save it as UTF-8 CSV, TSV or JSON Lines")
    clean = _decodes(first, cut=len(first) == len(sample))
    if not clean and not (json_lines and first.startswith(b"{")):
        raise InputError(f"{name} is not UTF-8 text (its first line holds bytes that are not "
                         "UTF-8: a binary file, or another encoding); save it as UTF-8")


def _decodes(data: bytes, *, cut: bool) -> bool:
    """Whether ``data`` is UTF-8 (a character cut at the end of a sample counts as fine)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return cut and exc.start >= len(data) - 3 and exc.reason == "unexpected end of data"
    return True


def bad_bytes(text: str) -> str | None:
    """``"0xe9"``-style list of the undecodable bytes kept in ``text``, or ``None``."""
    found = _ESCAPED.findall(text)
    if not found:
        return None
    shown = ", ".join(dict.fromkeys(f"0x{ord(c) - 0xDC00:02x}" for c in found[:8]))
    return shown


def check_cells(values: dict[str, Any], where: str) -> str | None:
    """The reason a row's text cannot be used (a non-UTF-8 byte, an over-long cell), or ``None``."""
    for column, value in values.items():
        if not isinstance(value, str):
            continue
        found = bad_bytes(column) or bad_bytes(value)
        if found:
            return (f"{where}: column {printable(column)!r} holds byte(s) {found} that are not "
                    "UTF-8; save the file as UTF-8")
        if len(value) > MAX_CELL_CHARS:
            return (f"{where}: column {printable(column)!r} holds {len(value):,} characters; "
                    f"at most {MAX_CELL_CHARS:,} are read")
    return None


def printable(text: str) -> str:
    """``text`` with undecodable bytes shown as U+FFFD (for messages and strict streams)."""
    if not _ESCAPED.search(text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
