"""Markdown pieces the Results page is built from: numbers, escaping, collapsed blocks."""

from __future__ import annotations


def details(title: str, lines: list[str], kind: str = "info") -> list[str]:
    """A collapsed block (``pymdownx.details``) holding ``lines``."""
    return [f'??? {kind} "{title}"', "", *[f"    {line}" if line else "" for line in lines], ""]


def commands_block(pairs: list[tuple[str, str]]) -> list[str]:
    """``[(what, command)]`` as one bullet per distinct command, naming what it reproduces."""
    grouped: dict[str, list[str]] = {}
    for what, command in pairs:
        grouped.setdefault(command, []).append(what)
    return [f"- {escape(', '.join(dict.fromkeys(whats)))}: `{command}`" for command, whats in grouped.items()]


def fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.3f}"
    return f"{value:.4f}"


def escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
