"""What every command's arguments share: one-line usage errors, dates a person types, and
the clock they are read against."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import NoReturn

from core.text import parse_amount
from core.timeparse import TimeParseError, parse_date

DATE_HELP = "2026-03-02, today, yesterday, -3 (days ago) or 03/02"


def system_clock() -> datetime:
    """Now: the clock of every command and of the app opened from the command line."""
    return datetime.now(UTC)


class UsageError(Exception):
    """Bad input from the user: reported as one line on stderr with exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line (its default prints the usage too)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def date_argument(text: str) -> date:
    try:
        return parse_date(text, date.today())
    except TimeParseError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def amount_argument(text: str) -> Decimal:
    try:
        return parse_amount(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def bucket_argument(text: str) -> str:
    """The KX bucket: PT+SLP (also `PT`, `SLP`, `pt-slp`) or OT."""
    wanted = text.strip().upper().replace("-", "+").replace(" ", "")
    if wanted in ("PT+SLP", "PT", "SLP", "SLP+PT"):
        return "PT+SLP"
    if wanted == "OT":
        return "OT"
    raise argparse.ArgumentTypeError(f"{text!r} is not a KX bucket: PT+SLP or OT")
