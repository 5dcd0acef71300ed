"""The `tabletime` command line: a contract that scripts and tests depend on (design.md).

Exit status: 0 success; 2 bad input or usage (one line on stderr naming the bad value);
3 data folder locked by a running instance; 1 anything else. Heavy imports (Textual) are
deferred to the commands that need them so that `tabletime units` starts fast.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, NoReturn

from core.catalog import CodeError, default_catalog
from core.models import Method
from core.text import printable
from core.units import BillingResult, CodeMinutes, check_codes, compute_units
from storage.crash import crash_message
from storage.errors import BadPath, MissingDataFolder, StorageError, disk_problem
from storage.folder import DataFolderLocked, resolve_data_dir
from storage.reports import export_lines, export_sessions, left_open, left_open_text, load_day
from storage.repository import Repository
from storage.settings_file import SettingsError
from storage.transfer import check_out, export_segments, import_segments, write_out

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
    export.add_argument("--from", dest="first", type=_date, metavar="DATE", help="YYYY-MM-DD")
    export.add_argument("--to", dest="last", type=_date, metavar="DATE", help="YYYY-MM-DD")
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
    summary.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="default: today")
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

    commands.add_parser(
        "demo",
        help="open the app on a throwaway folder with sample sessions",
        description="Open the app on a new temporary data folder with sample sessions of "
        "today and earlier days; your real data is never touched.",
    )
    return parser


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def system_clock() -> datetime:
    return datetime.now(UTC)


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
        check_codes(items, default_catalog())
        result = compute_units(items, Method(args.method))
    except CodeError as error:
        raise UsageError(str(error)) from None
    output = json.dumps(result_json(result), indent=2) if args.json else result_text(result)
    print(output)
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    if args.first and args.last and args.first > args.last:
        raise UsageError(f"--from {args.first} is after --to {args.last}")
    data_dir = resolve_data_dir(args.data_dir)
    out = None if args.out in (None, "-") else Path(args.out).expanduser()
    if out is not None:
        check_out(out, data_dir, force=args.force)  # before the work, not after it
    with Repository.open(data_dir, system_clock, read_only=True) as repo:
        if args.kind == "segments":
            text = export_segments(repo, args.first, args.last)
        elif args.kind == "lines":
            text = export_lines(repo, args.first, args.last, system_clock())
            if still_open := left_open(repo, args.first, args.last):
                print(f"tabletime: warning: {printable(left_open_text(still_open))}",
                      file=sys.stderr)
        else:
            text = export_sessions(repo, args.first, args.last, system_clock())
        _report_notices(repo)
    if out is None:
        sys.stdout.write(text)
    else:
        write_out(out, text, data_dir, force=args.force)
        rows = len(list(csv.reader(io.StringIO(text)))) - 1
        print(f"wrote {rows} {args.kind} rows to {printable(str(out))}", file=sys.stderr)
    return EXIT_OK


def run_summary(args: argparse.Namespace) -> int:
    from tui.day_report import summary_json, summary_text

    with Repository.open(resolve_data_dir(args.data_dir), system_clock, read_only=True) as repo:
        now = system_clock()
        summary = load_day(repo, args.date or repo.local(now).date(), now)
        _report_notices(repo)
    print(json.dumps(summary_json(summary), indent=2) if args.json else summary_text(summary))
    return EXIT_OK


def run_import(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise UsageError(f"no such file: {args.file}")
    with Repository.open(resolve_data_dir(args.data_dir), system_clock) as repo:
        report = import_segments(repo, args.file)
        _report_notices(repo)
    if report.errors:
        print(f"tabletime: error: {len(report.errors)} bad row(s) in "
              f"{printable(str(args.file))}; nothing was imported", file=sys.stderr)
        for bad in report.errors:
            print(f"  {bad}", file=sys.stderr)
        return EXIT_USAGE
    print(f"imported {report.sessions} sessions ({report.segments} segments) from {args.file}")
    if report.skipped:
        print(f"skipped {len(report.skipped)} sessions already stored: {', '.join(report.skipped)}")
    return EXIT_OK


def _report_notices(repo: Repository) -> None:
    for notice in repo.pop_notices():
        print(f"tabletime: {notice.severity}: {printable(notice.message)}", file=sys.stderr)


def run_app(args: argparse.Namespace) -> int:
    """Open the app (Textual is imported only here, so the other commands start fast)."""
    from tui.app import make_app

    with Repository.open(resolve_data_dir(args.data_dir), system_clock) as repo:
        app = make_app(system_clock, repo)
        app.run()
    return app.return_code or EXIT_OK


def run_demo(args: argparse.Namespace) -> int:
    import tempfile

    from tui.app import make_app
    from tui.demo import seed_demo

    folder = Path(tempfile.mkdtemp(prefix="tabletime-demo-")) / "data"
    seed_demo(folder, system_clock())
    with Repository.open(folder, system_clock) as repo:
        app = make_app(system_clock, repo, banner=f"Demo: sample data in {folder}")
        app.run()
    print(f"The demo's data stays in {folder} until you delete it.")
    return app.return_code or EXIT_OK


COMMANDS = {"units": run_units, "export": run_export, "import": run_import, "demo": run_demo,
            "summary": run_summary}


def main(argv: Sequence[str] | None = None) -> int:
    """Every outcome is an exit status and at most one line on stderr, never a traceback."""
    parser = build_parser()
    args: argparse.Namespace | None = None
    try:
        args = parser.parse_args(argv)
        status = run_app(args) if args.command is None else COMMANDS[args.command](args)
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
    except Exception as error:  # the promise: no traceback, no patient data on screen
        folder = _data_dir_or_none(args)
        print(printable(crash_message(folder, error)), file=sys.stderr)
        return EXIT_ERROR


def _fail(error: object, status: int) -> int:
    print(f"tabletime: error: {printable(str(error))}", file=sys.stderr)
    return status


def _data_dir_or_none(args: argparse.Namespace | None) -> Path | None:
    try:
        return resolve_data_dir(None if args is None else args.data_dir)
    except Exception:  # only where to put a crash report: the temp folder will do
        return None


if __name__ == "__main__":
    sys.exit(main())
