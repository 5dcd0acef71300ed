"""Cells a spreadsheet would run as a formula are made inert, and restored on the way back in.

The guard is a leading apostrophe. A value that itself starts with an apostrophe gets one too,
so that `'=X` typed by a person comes back as `'=X`, not `=X`: a round trip changes nothing.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"


def neutralise(text: str) -> str:
    """A cell starting like a formula (or with the guard itself) gets a leading apostrophe."""
    return GUARD + text if text.startswith((*FORMULA_STARTS, GUARD)) else text


def restore(text: str) -> str:
    """Undo `neutralise`: only an apostrophe that it could have added is removed."""
    if text.startswith(GUARD) and text[1:].startswith((*FORMULA_STARTS, GUARD)):
        return text[1:]
    return text
