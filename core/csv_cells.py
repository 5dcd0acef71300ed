"""Cells a spreadsheet would run as a formula are made inert, and restored on the way back in."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A cell starting like a formula gets a leading apostrophe, so a spreadsheet shows text."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def restore(text: str) -> str:
    """Undo `neutralise` (only an apostrophe that it could have added is removed)."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text
