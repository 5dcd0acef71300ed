"""`tabletime units`: minutes per code in, units, claim lines, estimate and checks out, the
same way the review screen shows them. Imports only `core` (and no pydantic): it starts fast.
Its arguments are declared with the other commands' (tui/cli/main.py), so that this module
loads only when the command runs.
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import date

from core.billing.methods import check_codes
from core.billing.session import SessionBill, Terms, bill_session
from core.billing.units import MINUTES_IN_A_DAY, CodeMinutes
from core.catalog import CodeError, default_catalog
from core.kinds import Discipline, Method
from core.place import Place, Telehealth, is_telehealth_place, place_code
from tui.cli.args import UsageError
from tui.cli.output import units_json, units_text

EXIT_OK = 0
_ITEM = re.compile(r"^(?P<code>[^=\s]+)(?:=(?P<minutes>.*))?$")


def parse_item(text: str) -> CodeMinutes:
    """`97110=23` or a bare `97161` -> CodeMinutes; anything else is a UsageError naming it."""
    match = _ITEM.match(text.strip())
    if match is None:
        raise UsageError(f"malformed item {text!r}: write CODE=MINUTES, e.g. 97110=23")
    code, minutes = match["code"], match["minutes"]
    if minutes is None:
        return CodeMinutes(code=code)
    if re.fullmatch(r"-[0-9]+", minutes.strip()):
        raise UsageError(f"negative minutes in {text!r}: minutes cannot be below 0")
    if not re.fullmatch(r"[0-9]+", minutes.strip()):
        raise UsageError(f"bad minutes in {text!r}: give whole minutes, e.g. {code}=23")
    value = int(minutes)
    if value > MINUTES_IN_A_DAY:
        raise UsageError(f"too many minutes in {text!r}: a day has {MINUTES_IN_A_DAY}")
    return CodeMinutes(code=code, minutes=value)


def parse_assistant(text: str) -> CodeMinutes:
    item = parse_item(text)
    if not item.minutes:
        raise UsageError(f"--assistant {text!r}: give the minutes the assistant furnished, "
                         f"e.g. --assistant {item.code}=10")
    return CodeMinutes(code=item.code, minutes=item.minutes, assistant_minutes=item.minutes)


def place_of(args: argparse.Namespace) -> tuple[Place, list[str]]:
    """`--pos` and `--telehealth` as a place (UsageError naming a bad code), with a note when
    a telehealth place without a mode is taken as video."""
    try:
        pos = place_code(args.pos)
    except ValueError as error:
        raise UsageError(f"--pos: {error}") from None
    mode = None if args.telehealth is None else Telehealth(args.telehealth)
    if mode is None and is_telehealth_place(pos):
        return Place(pos, Telehealth.VIDEO), [
            f"POS {pos} is telehealth only: billed as telehealth by video (95); add "
            "--telehealth audio for audio only (93)"]
    return Place(pos, mode), []


def bill_of(args: argparse.Namespace) -> SessionBill:
    """The items and options given, billed as a session (UsageError naming a bad one)."""
    items = [parse_item(text) for text in args.items]
    items += [parse_assistant(text) for text in args.assistant]
    if not items:
        raise UsageError("give at least one CODE=MINUTES, e.g. tabletime units 97110=23")
    catalog = default_catalog()
    method = Method(args.method)
    terms = Terms(method=method,
                  medicare=method is Method.CMS if args.medicare is None else args.medicare)
    place, notes = place_of(args)
    try:
        check_codes(items, catalog)
        return bill_session(items, terms, Discipline(args.discipline),
                            args.date or date.today(), catalog, notes=notes, place=place)
    except CodeError as error:
        raise UsageError(str(error)) from None


def run_units(args: argparse.Namespace) -> int:
    bill = bill_of(args)
    print(json.dumps(units_json(bill), indent=2) if args.json else units_text(bill))
    return EXIT_OK
