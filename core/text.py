"""Text a person typed or a file holds: refused at the door when it carries control characters,
and escaped on the way out when something older still does.

A control character in a patient reference or a note is never meant: ESC sequences retitle or
clear a terminal, NUL and BEL break files and tools, a line or paragraph separator breaks a CSV
cell, and the bidirectional overrides make a note read differently from what is stored.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal

AMOUNT = re.compile(r"[0-9]{1,9}(\.[0-9]{1,2})?")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                     r"\u200e\u200f\u061c]")
"""C0 and C1 controls, the Unicode line and paragraph separators, and the invisible marks
that change the direction of text (overrides, isolates, LRM, RLM, ALM)."""

_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "backspace", 0x09: "tab", 0x0A: "line break",
          0x0D: "carriage return", 0x1B: "ESC", 0x7F: "DEL"}


def control_name(char: str) -> str:
    """A control character in words: `ESC`, `tab`, or its code point (`U+009B`)."""
    code = ord(char)
    if code in _NAMES:
        return _NAMES[code]
    name = unicodedata.name(char, "")
    return f"U+{code:04X}" + (f" {name}" if name else "")


def refuse_controls(text: str) -> str:
    """The text unchanged, or ValueError naming the first control character in it."""
    found = CONTROL.search(text)
    if found is not None:
        raise ValueError(
            f"contains a control character ({control_name(found.group())}) at position "
            f"{found.start() + 1}: type or paste plain text"
        )
    return text


def printable(text: str) -> str:
    """For a terminal or a log: control characters shown as escapes, never sent raw."""
    return CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def bounded(max_length: int) -> Callable[[str], str]:
    """A validator: at most `max_length` characters and no control character."""

    def check(text: str) -> str:
        if len(text) > max_length:
            raise ValueError(f"is {len(text):,} characters long, at most {max_length} here")
        return refuse_controls(text)

    return check


PATIENT_REF_MAX = 40


def split_references(text: str) -> list[str]:
    """Patient references typed in one field, separated by commas; one that holds a comma
    itself is quoted (`"DOE, J", AB12`). ValueError for an unclosed quote."""
    try:
        cells = next(csv.reader([text], skipinitialspace=True, strict=True), [])
    except csv.Error:
        raise ValueError("the quotes do not pair up: put a reference that holds a comma in "
                         "double quotes, e.g. \"DOE, J\", AB12") from None
    return [cell.strip() for cell in cells if cell.strip()]


def a_or_an(abbreviation: str) -> str:
    """`a PT`, `an OT`, `an SLP`: an abbreviation is read letter by letter."""
    return f"{'an' if abbreviation[:1] in 'AEFHILMNORSX' else 'a'} {abbreviation}"


def plural(count: int, word: str, words: str | None = None) -> str:
    """`1 session`, `2 sessions` (or the plural given)."""
    return f"{count:,} {word}" if count == 1 else f"{count:,} {words or word + 's'}"


def parse_amount(text: str) -> Decimal:
    """Dollars and cents as a person types them (`850`, `850.00`, `$1,250.50`); ValueError
    naming the problem otherwise (no exponents, no negative amounts, no fractions of a cent)."""
    cleaned = text.strip().removeprefix("$").replace(",", "")
    if not AMOUNT.fullmatch(cleaned):
        raise ValueError(f"{text!r} is not an amount in dollars and cents: write e.g. 850.00")
    return Decimal(cleaned)
