"""`tabletime units`: minutes per code in, units, claim lines, estimate and checks out, the
same way the review screen shows them. Imports only `core` (and no pydantic): it starts fast.
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import date
from typing import Any

from core.billing.methods import check_codes
from core.billing.session import SessionBill, Terms, bill_session
from core.billing.units import MINUTES_IN_A_DAY, CodeMinutes
from core.catalog import CodeError, default_catalog
from core.kinds import Discipline, Method
from tui.cli.args import DATE_HELP, UsageError, date_argument
from tui.cli.output import units_json, units_text

EXIT_OK = 0
_ITEM = re.compile(r"^(?P<code>[^=\s]+)(?:=(?P<minutes>.*))?$")


def add_units_parser(commands: Any) -> None:
    units = commands.add_parser(
        "units",
        help="turn minutes per code into billable units, claim lines and an estimate",
        description=(
            "Turn minutes per code into billable units, claim lines with their modifiers, a "
            "fee estimate and the checks a biller runs. Give timed codes as CODE=MINUTES; an "
            "untimed code may be given bare (97161) or with minutes. A code given twice adds up."
        ),
        epilog="examples: tabletime units 97110=33 97140=7; tabletime units 97129=40; "
               "tabletime units 97110=30 --assistant 97110=10",
    )
    units.add_argument(
        "--method",
        choices=[m.value for m in Method],
        default=Method.CMS.value,
        help="cms: Medicare 8-minute rule on the total (default); per-code: each code alone",
    )
    payer = units.add_mutually_exclusive_group()
    payer.add_argument("--medicare", dest="medicare", action="store_true", default=None,
                       help="the payer is Medicare: status checks, CQ/CO, the multiple-procedure "
                            "reduction (default with --method cms)")
    payer.add_argument("--no-medicare", dest="medicare", action="store_false",
                       help="the payer is not Medicare (default with --method per-code)")
    units.add_argument("--discipline", choices=[d.value for d in Discipline], default="PT",
                       help="the plan of care's discipline: GP, GO or GN (default PT)")
    units.add_argument("--assistant", action="append", default=[], metavar="CODE=MINUTES",
                       help="minutes of a code furnished by the assistant, on top of the "
                            "therapist's (repeatable)")
    units.add_argument("--date", type=date_argument, metavar="DATE",
                       help=f"the date of service, for the fee year and the edits in force "
                            f"({DATE_HELP}; default: today)")
    units.add_argument("--json", action="store_true", help="print one JSON object")
    units.add_argument("items", nargs="*", metavar="CODE=MINUTES", help="e.g. 97110=33 97161")


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
    try:
        check_codes(items, catalog)
        return bill_session(items, terms, Discipline(args.discipline),
                            args.date or date.today(), catalog)
    except CodeError as error:
        raise UsageError(str(error)) from None


def run_units(args: argparse.Namespace) -> int:
    bill = bill_of(args)
    print(json.dumps(units_json(bill), indent=2) if args.json else units_text(bill))
    return EXIT_OK
