"""The `tabletime` command line: a contract that scripts and tests depend on (design.md).

Exit status: 0 success; 2 bad input or usage (one line on stderr naming the bad value);
3 data folder locked by a running instance; 1 anything else. Heavy imports (Textual) are
deferred to the commands that need them so that `tabletime units` starts fast.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from importlib.metadata import version
from typing import Any, NoReturn

from core.catalog import CodeError
from core.models import Method
from core.units import BillingResult, CodeMinutes, compute_units

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3
MINUTES_IN_A_DAY = 24 * 60


class UsageError(Exception):
    """Bad input from the user: reported as one line on stderr with exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line (its default prints the usage too)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tabletime",
        description="Timers at the treatment table: per-code minutes and billable units.",
    )
    parser.add_argument("--version", action="version", version=f"tabletime {version('tabletime')}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    units = commands.add_parser(
        "units",
        help="turn minutes per code into billable units",
        description=(
            "Turn minutes per code into billable units. Give timed codes as CODE=MINUTES; an "
            "untimed code may be given bare (97161) or with minutes. A code given twice adds up."
        ),
        epilog="example: tabletime units 97110=33 97140=7",
    )
    units.add_argument(
        "--method",
        choices=[m.value for m in Method],
        default=Method.CMS.value,
        help="cms: Medicare 8-minute rule on the total (default); per-code: each code alone",
    )
    units.add_argument("--json", action="store_true", help="print one JSON object")
    units.add_argument("items", nargs="+", metavar="CODE=MINUTES", help="e.g. 97110=33 97161")
    return parser


_ITEM = re.compile(r"^(?P<code>[^=\s]+)(?:=(?P<minutes>.*))?$")


def parse_item(text: str) -> CodeMinutes:
    """`97110=23` or a bare `97161` -> CodeMinutes; anything else is a UsageError naming it."""
    match = _ITEM.match(text.strip())
    if match is None:
        raise UsageError(f"malformed item {text!r}: write CODE=MINUTES, e.g. 97110=23")
    code, minutes = match["code"], match["minutes"]
    if minutes is None:
        return CodeMinutes(code=code)
    if re.fullmatch(r"-\d+", minutes.strip()):
        raise UsageError(f"negative minutes in {text!r}: minutes cannot be below 0")
    if not re.fullmatch(r"\d+", minutes.strip()):
        raise UsageError(f"bad minutes in {text!r}: give whole minutes, e.g. {code}=23")
    value = int(minutes)
    if value > MINUTES_IN_A_DAY:
        raise UsageError(f"too many minutes in {text!r}: a day has {MINUTES_IN_A_DAY}")
    return CodeMinutes(code=code, minutes=value)


def result_json(result: BillingResult) -> dict[str, Any]:
    """The documented `units --json` object (design.md), plus the tie alternatives."""
    return {
        "method": result.method.value,
        "total_timed_minutes": result.total_timed_minutes,
        "total_treatment_minutes": result.total_treatment_minutes,
        "timed_units": result.timed_units,
        "units": result.units,
        "lines": [
            line.model_dump(include={"code", "minutes", "units", "timed", "why"})
            for line in result.lines
        ],
        "tie": result.tie,
        "tie_alternatives": list(result.tie_alternatives),
        "summary": result.summary,
        "warnings": list(result.warnings),
    }


def result_text(result: BillingResult) -> str:
    """A table a therapist reads at a glance, then the reasons an auditor reads."""
    rows = [f"{'Code':<7}{'Minutes':>8}{'Units':>7}  Kind"]
    for line in result.lines:
        minutes = "-" if line.minutes is None else str(line.minutes)
        kind = "timed" if line.timed else "untimed"
        rows.append(f"{line.code:<7}{minutes:>8}{line.units:>7}  {kind}")
    rows += [
        "",
        f"Total timed minutes:     {result.total_timed_minutes}",
        f"Total treatment minutes: {result.total_treatment_minutes}",
        f"Timed units:             {result.timed_units}",
        "",
        "Why:",
        f"  {result.summary}",
        *(f"  {line.why}" for line in result.lines),
    ]
    if result.tie:
        rows += ["", "Tie: the payer accepts any of these too:"]
        rows += [
            "  " + ", ".join(f"{code} x{units}" for code, units in choice.items())
            for choice in result.tie_alternatives
        ]
    if result.warnings:
        rows += ["", "Warnings:", *(f"  ! {warning}" for warning in result.warnings)]
    return "\n".join(rows)


def run_units(args: argparse.Namespace) -> int:
    items = [parse_item(text) for text in args.items]
    try:
        result = compute_units(items, Method(args.method))
    except CodeError as error:
        raise UsageError(str(error)) from None
    output = json.dumps(result_json(result), indent=2) if args.json else result_text(result)
    print(output)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "units":
            return run_units(args)
        parser.print_help()
        return EXIT_OK
    except UsageError as error:
        print(f"tabletime: error: {error}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
