"""The `tabletime` command line: a contract that scripts and tests depend on (design.md).

Exit status: 0 success; 2 bad input or usage (one line on stderr naming the bad value);
3 data folder locked by a running instance; 1 anything else. Only `core` is imported here:
the commands that use a data folder live in `tui/cli_data.py` and the app in `tui/app.py`,
imported when asked for, so that `tabletime units` starts fast.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from core.catalog import CodeError, default_catalog
from core.kinds import Method
from core.text import printable
from core.timeparse import TimeParseError, parse_date
from core.units import (
    MINUTES_IN_A_DAY,
    BillingResult,
    CodeMinutes,
    check_codes,
    compute_units,
)
from storage.errors import (
    BadPath,
    DataFolderLocked,
    MissingDataFolder,
    SettingsError,
    StorageError,
    disk_problem,
)

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_LOCKED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


DATE_HELP = "2026-03-02, today, yesterday, -3 (days ago) or 03/02"


class UsageError(Exception):
    """Bad input from the user: reported as one line on stderr with exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line (its default prints the usage too)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


class _Version(argparse.Action):
    """--version, reading the installed version only when asked (not on every command)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        from importlib.metadata import version

        print(f"tabletime {version('tabletime')}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tabletime",
        description="Timers at the treatment table: per-code minutes and billable units.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="the data folder (default: $TABLETIME_DATA_DIR, else the platform's user data folder)",
    )
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

    export = commands.add_parser(
        "export",
        help="write recorded data as CSV",
        description="Write the segments of every session whose date of service is in the range.",
    )
    export.add_argument("--from", dest="first", type=_date, metavar="DATE", help=DATE_HELP)
    export.add_argument("--to", dest="last", type=_date, metavar="DATE", help=DATE_HELP)
    export.add_argument(
        "--kind", choices=["segments", "lines", "sessions"], default="segments",
        help="segments: one row per segment (the import format); lines: one claim line per "
        "patient, date, discipline and code; sessions: one row per session with its chart note")
    export.add_argument("--out", metavar="FILE",
                        help="a new file to write (default, or -: standard output)")
    export.add_argument("--force", action="store_true",
                        help="replace FILE if it exists (it must be a regular file)")

    summary = commands.add_parser(
        "summary",
        help="the day's sessions, claim lines, totals and checks",
        description="The day summary: every session of the date, Medicare pooling, claim "
        "lines with modifiers and estimates, totals and the biller's checks.",
    )
    summary.add_argument("--date", type=_date, metavar="DATE",
                         help=f"{DATE_HELP}; default: today")
    summary.add_argument("--json", action="store_true", help="print one JSON object")

    imported = commands.add_parser(
        "import",
        help="add sessions from a segments CSV",
        description=(
            "Add sessions from a segments CSV (the export format). Every row is checked first "
            "and nothing is written if one is bad; sessions already stored are skipped."
        ),
    )
    imported.add_argument("file", type=Path, metavar="FILE")

    check = commands.add_parser(
        "check",
        help="verify every file and index; rebuild what is derived",
        description="Read and validate every file of the data folder, derive the index again "
        "from the day files and compare, check that no two timed segments overlap, and report "
        "what was found and fixed. Exit status 0 when all is well, 1 when something was found.",
    )
    check.add_argument("--json", action="store_true", help="print one JSON object")

    backup = commands.add_parser(
        "backup",
        help="write one consistent archive of the data folder (safe while the app runs)",
        description="Write the settings and every day file (sessions, segments, audit trail) "
        "into one archive, consistent even while the app is writing. Restore it with "
        "`tabletime restore FILE --data-dir NEW_FOLDER`.",
    )
    backup.add_argument("file", metavar="FILE", help="a new file (.tar.gz) outside the folder")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")

    restore = commands.add_parser(
        "restore",
        help="restore an archive of `tabletime backup` into a new or empty folder",
        description="Check every file of the archive, then write it into the data folder, "
        "which must be new or empty (a folder holding data is refused). Every session comes "
        "back exactly as it was.",
    )
    restore.add_argument("file", type=Path, metavar="FILE")

    commands.add_parser(
        "demo",
        help="open the app on a throwaway folder with sample sessions",
        description="Open the app on a new temporary data folder with sample sessions of "
        "today and earlier days; your real data is never touched.",
    )
    return parser


def _date(text: str) -> date:
    try:
        return parse_date(text, date.today())
    except TimeParseError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


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


def result_json(result: BillingResult) -> dict[str, Any]:
    """The documented `units --json` object (design.md), plus the tie alternatives."""
    return {
        "method": result.method.value,
        "total_timed_minutes": result.total_timed_minutes,
        "total_treatment_minutes": result.total_treatment_minutes,
        "timed_units": result.timed_units,
        "units": result.units,
        "lines": [
            {"code": line.code, "minutes": line.minutes, "units": line.units,
             "timed": line.timed, "why": line.why}
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
        check_codes(items, default_catalog())
        result = compute_units(items, Method(args.method))
    except CodeError as error:
        raise UsageError(str(error)) from None
    output = json.dumps(result_json(result), indent=2) if args.json else result_text(result)
    print(output)
    return EXIT_OK


def data_command(name: str) -> Callable[[argparse.Namespace], int]:
    """A command that uses a data folder (storage is imported only for these)."""

    def run(args: argparse.Namespace) -> int:
        from tui import cli_data

        command: Callable[[argparse.Namespace], int] = getattr(cli_data, f"run_{name}")
        return command(args)

    return run


COMMANDS = {"units": run_units, **{name: data_command(name) for name in
            ("export", "import", "summary", "check", "backup", "restore", "demo")}}


def main(argv: Sequence[str] | None = None) -> int:
    """Every outcome is an exit status and at most one line on stderr, never a traceback."""
    parser = build_parser()
    args: argparse.Namespace | None = None
    try:
        args = parser.parse_args(argv)
        status = COMMANDS.get(args.command, data_command("app"))(args)
        sys.stdout.flush()  # a reader that went away is noticed here, not at exit
        return status
    except (UsageError, SettingsError, MissingDataFolder, BadPath) as error:
        return _fail(error, EXIT_USAGE)
    except DataFolderLocked as error:
        return _fail(error, EXIT_LOCKED)
    except StorageError as error:
        return _fail(error, EXIT_ERROR)
    except BrokenPipeError:
        # The reader went away (`tabletime summary | head -1`): that is its choice, not an
        # error. Python would complain again when it flushes stdout on the way out.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as error:  # a data folder on a disk that is full, read-only...
        return _fail(disk_problem(error), EXIT_ERROR)
    except KeyboardInterrupt:
        return _fail("interrupted: everything saved before stays saved (an import can simply "
                     "be run again to finish)", EXIT_INTERRUPTED)
    except Exception as error:  # the promise: no traceback, no patient data on screen
        from storage.crash import crash_message

        folder = _data_dir_or_none(args) if _writes(args) else None
        print(printable(crash_message(folder, error)), file=sys.stderr)
        return EXIT_ERROR


def _fail(error: object, status: int) -> int:
    print(f"tabletime: error: {printable(str(error))}", file=sys.stderr)
    return status


def _writes(args: argparse.Namespace | None) -> bool:
    """Whether the command writes its data folder (a reading one never does, not even a
    crash report: that goes to the temp folder)."""
    return args is not None and args.command not in ("units", "export", "summary", "backup")


def _data_dir_or_none(args: argparse.Namespace | None) -> Path | None:
    try:
        from storage.folder import resolve_data_dir

        return resolve_data_dir(None if args is None else args.data_dir)
    except Exception:  # only where to put a crash report: the temp folder will do
        return None


if __name__ == "__main__":
    sys.exit(main())
