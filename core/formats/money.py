"""Money as every output writes it: an exact decimal string for files and JSON ("34.61",
never a binary float), dollars for a person ("$1,234.56"); an unknown amount says so."""

from __future__ import annotations

from decimal import Decimal


def cents(amount: Decimal | None) -> str | None:
    """`34.61` for JSON and CSV; None when there is no amount (no fee data)."""
    return None if amount is None else f"{amount:.2f}"


def dollars(amount: Decimal | None) -> str:
    """`$1,234.56` for a screen or a text report; `n/a` when there is no amount."""
    return "n/a" if amount is None else f"${amount:,.2f}"
