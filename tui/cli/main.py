"""The `tabletime` command line: a contract that scripts and tests depend on (design.md).

Exit status: 0 success; 2 bad input or usage (one line on stderr naming the bad value);
3 data folder locked by a running instance; 1 anything else. Only `core` is imported here:
the units calculator lives in `tui/cli/units.py`, the commands that use a data folder in
`tui/cli/data.py`, opening the app in `tui/cli/app.py`, each imported when asked for, so
that `tabletime units` starts fast and the app loads nothing of the other commands.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.kinds import Discipline, Method
from core.text import printable
from storage.errors import (
    BadPath,
    DataFolderLocked,
    MissingDataFolder,
    SettingsError,
    StorageError,
    disk_problem,
)
from tui.cli.args import (
    DATE_HELP,
    Parser,
    UsageError,
    amount_argument,
    bucket_argument,
    date_argument,
)

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_LOCKED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class _Version(argparse.Action):
    """--version, reading the installed version only when asked (not on every command)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        from importlib.metadata import version

        print(f"tabletime {version('tabletime')}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="tabletime",
        description="Timers at the treatment table: per-code minutes and billable units.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="the data folder (default: $TABLETIME_DATA_DIR, else the platform's user data folder)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    _add_units_parser(commands)

    export = commands.add_parser(
        "export",
        help="write recorded data as CSV",
        description="Write the segments of every session whose date of service is in the range.",
    )
    export.add_argument("--from", dest="first", type=date_argument, metavar="DATE", help=DATE_HELP)
    export.add_argument("--to", dest="last", type=date_argument, metavar="DATE", help=DATE_HELP)
    export.add_argument(
        "--kind", choices=["segments", "lines", "sessions", "charges"], default="segments",
        help="segments: one row per segment (the import format); lines: one claim line per "
        "patient, date, discipline and code; sessions: one row per session with its chart "
        "note; charges: the claim lines as a practice system imports them (see --template)")
    export.add_argument("--template", metavar="NAME",
                        help="with --kind charges: the charge file template, shipped (generic) "
                        "or NAME.toml in the data folder's templates/ (default: generic)")
    export.add_argument("--out", metavar="FILE",
                        help="a new file to write (default, or -: standard output)")
    export.add_argument("--force", action="store_true",
                        help="replace FILE if it exists (it must be a regular file)")
    export.add_argument("--partial", action="store_true",
                        help="write the export even when a day file in the range could not be "
                        "read or lost sessions (named on stderr); without it nothing is written")

    summary = commands.add_parser(
        "summary",
        help="the day's sessions, claim lines, totals and checks",
        description="The day summary: every session of the date, Medicare pooling, claim "
        "lines with modifiers and estimates, totals and the biller's checks.",
    )
    _add_date_or_range(summary, "today", "a view of each day of the range (productivity and "
                       "totals), e.g. a week")

    patient = commands.add_parser(
        "patient",
        help="a patient's Medicare year, clocks, authorizations; record what a payer said",
        description=(
            "Show a patient's sessions and Medicare allowed amounts this year against the KX "
            "threshold (PT and SLP together, OT on its own), counting what other providers "
            "billed, the progress-report and plan-of-care clocks of each discipline, and each "
            "payer's authorization counted down to today. With "
            "--used-elsewhere, record that amount (from the Medicare eligibility check) for a "
            "year and bucket; with --authorized-visits and/or --authorized-units and --until, "
            "record a payer's authorization; with --start-of-care and --discipline, an "
            "episode of care (its plan of care certified for up to 90 days, signed or not). "
            "A new entry replaces the one before."
        ),
        epilog="examples: tabletime patient AB12 --used-elsewhere 850.00 --bucket PT+SLP\n"
               "          tabletime patient AB12 --payer Commercial --authorized-visits 12 "
               "--until 2026-05-31\n"
               "          tabletime patient AB12 --start-of-care 2026-03-02 --discipline PT "
               "--signed 2026-03-10",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    patient.add_argument("patient", metavar="REF", help="the patient reference")
    patient.add_argument("--used-elsewhere", metavar="AMOUNT", type=amount_argument,
                         help="dollars already used at other providers this year, e.g. 850.00")
    patient.add_argument("--bucket", type=bucket_argument, metavar="PT+SLP|OT",
                         help="the KX bucket of --used-elsewhere: PT+SLP or OT")
    patient.add_argument("--year", type=int, metavar="YEAR",
                         help="the calendar year (default: this year)")
    patient.add_argument("--payer", metavar="NAME",
                         help="the payer profile of an authorization (as in the settings)")
    patient.add_argument("--authorized-visits", type=int, metavar="N",
                         help="visits the payer authorized (dates with treatment)")
    patient.add_argument("--authorized-units", type=int, metavar="N",
                         help="units the payer authorized (timed units of closed sessions)")
    patient.add_argument("--from", dest="start", type=date_argument, metavar="DATE",
                         help=f"first day of the authorization ({DATE_HELP}); default: today")
    patient.add_argument("--until", type=date_argument, metavar="DATE",
                         help=f"last day of the authorization ({DATE_HELP})")
    patient.add_argument("--start-of-care", type=date_argument, metavar="DATE",
                         help="record an episode of care starting that day (with --discipline)")
    patient.add_argument("--discipline", choices=("PT", "OT", "SLP"),
                         help="the discipline of --start-of-care")
    patient.add_argument("--certified-until", type=date_argument, metavar="DATE",
                         help="the plan of care's last certified day (default: 90 days)")
    patient.add_argument("--signed", type=date_argument, metavar="DATE",
                         help="the day the physician signed the certification")
    patient.add_argument("--note", default="", help="where the entry comes from")
    patient.add_argument("--json", action="store_true", help="print one JSON object")

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
    check.add_argument("--accept-missing", action="store_true",
                       help="accept the loss of the sessions that day files lost (the index "
                       "stops naming them; the day files are not changed)")

    backup = commands.add_parser(
        "backup",
        help="write one consistent archive of the data folder (safe while the app runs)",
        description="Write the settings and every day file (sessions, segments, audit trail) "
        "into one archive, consistent even while the app is writing. Restore it with "
        "`tabletime restore FILE --data-dir NEW_FOLDER`.",
    )
    backup.add_argument("file", metavar="FILE", help="a new file (.tar.gz) outside the folder")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    backup.add_argument("--partial", action="store_true",
                        help="write it although the index knows sessions the day files lost")

    restore = commands.add_parser(
        "restore",
        help="restore an archive of `tabletime backup` into a new or empty folder",
        description="Check every file of the archive (the settings too), write it into a "
        "folder beside the data folder and put it in place in one step: all or nothing. The "
        "data folder must be new or empty (a folder holding data is refused); a restore "
        "that was interrupted is simply run again. Every session comes back exactly as it was.",
    )
    restore.add_argument("file", type=Path, metavar="FILE")

    _add_clinic_parser(commands)

    serve = commands.add_parser(
        "serve",
        help="open Tabletime in a browser (a tablet or the clinic PC at the table)",
        description="Serve the app to a browser: prints one URL to open, with a new secret "
        "token each start; only that browser's cookie, this page's origin and this "
        "machine's host names get in. On this machine only (127.0.0.1) unless --lan, which "
        "needs --tls-cert and --tls-key: patient references never cross a network in clear. "
        "One app runs per data folder: a new tab or device takes over. Needs the serve "
        "extra: .venv/bin/pip install '.[serve]'.",
        epilog="example: tabletime serve --port 8000   (then open the URL it prints; add "
        "&fontsize=20 to it for larger text). In the page, ? is help and / the palette (a "
        "browser may keep f1 and ctrl+p).",
    )
    serve.add_argument("--host", default="127.0.0.1",
                       help="the address to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="default 8000")
    serve.add_argument("--lan", action="store_true",
                       help="allow an address other devices reach (with --tls-cert and "
                       "--tls-key)")
    serve.add_argument("--tls-cert", type=Path, metavar="FILE",
                       help="the certificate (PEM) the clinic's devices trust")
    serve.add_argument("--tls-key", type=Path, metavar="FILE", help="its private key (PEM)")
    serve.add_argument("--name", action="append", default=[], metavar="HOST",
                       help="with --lan: a host name the devices open (the certificate's); "
                       "any other Host is refused")

    commands.add_parser(
        "demo",
        help="open the app on a throwaway folder with sample sessions",
        description="Open the app on a new temporary data folder with sample sessions of "
        "today and earlier days; your real data is never touched.",
    )
    return parser


def _add_date_or_range(parser: argparse.ArgumentParser, default: str, range_help: str) -> None:
    """A summary's --date, or --from with --to, and --json (a therapist's and the clinic's)."""
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--date", type=date_argument, metavar="DATE",
                      help=f"{DATE_HELP}; default: {default}")
    when.add_argument("--from", dest="first", type=date_argument, metavar="DATE",
                      help=f"with --to: {range_help}")
    parser.add_argument("--to", dest="last", type=date_argument, metavar="DATE",
                        help="the last day of the --from range (default: --from + 6 days)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _add_clinic_parser(commands: Any) -> None:
    clinic = commands.add_parser(
        "clinic",
        help="the clinic's biller: several therapists' backups in one database",
        description="Work across therapists: each backs up their folder (tabletime backup), "
        "the biller merges the archives into one SQLite file (merge), then reads it "
        "(summary, export).",
    )
    actions = clinic.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser,
                                    required=True)
    merge = actions.add_parser(
        "merge",
        help="build one SQLite file from the therapists' backups",
        description="Verify each archive as restore does, then build one SQLite file of "
        "every therapist, session, segment and claim line (billed as `export --kind lines` "
        "bills each therapist's folder). No data folder is opened. The same archive twice, "
        "or sessions found in two therapists' archives, are refused; of two backups of one "
        "therapist the newer is merged and the older named as left out.",
        epilog="example: tabletime clinic merge shared/*.tar.gz --out clinic.sqlite",
    )
    merge.add_argument("archives", nargs="+", metavar="ARCHIVE",
                       help="an archive written by tabletime backup")
    merge.add_argument("--out", required=True, metavar="FILE",
                       help="the SQLite file to write (outside any data folder)")
    merge.add_argument("--from", dest="first", type=date_argument, metavar="DATE",
                       help=f"only sessions from this date ({DATE_HELP}); KX still counts "
                       "the whole year")
    merge.add_argument("--to", dest="last", type=date_argument, metavar="DATE",
                       help="only sessions up to this date")
    merge.add_argument("--force", action="store_true",
                       help="replace FILE if it is a clinic file an earlier merge wrote (it is "
                       "built anew; anything else is refused)")

    summary = actions.add_parser(
        "summary",
        help="a date or a range per therapist and for the clinic, with the clinic checks",
        description="Read the clinic file (never written): a date as each therapist's own "
        "summary shows it (billed as of the merge), then the clinic's totals and the clinic "
        "checks of that date (co-treatment, duplicate lines, clock time, pooling, KX), each "
        "with its source; or with --from/--to each therapist's days and the clinic's.",
        epilog="example: tabletime clinic summary --db clinic.sqlite --date 2026-03-02 --json",
    )
    summary.add_argument("--db", required=True, metavar="FILE",
                         help="the file clinic merge wrote")
    _add_date_or_range(summary, "the file's latest date of service",
                       "each day of the range (a week by default, a year at most)")

    export = actions.add_parser(
        "export",
        help="the clinic's claim lines as CSV, the rendering therapist on every row",
        description="Read the clinic file (never written) and write its claim lines as "
        "`tabletime export` writes a therapist's: --kind lines (the same columns) or --kind "
        "charges through a template (the rendering therapist, NPI and each therapist's "
        "billing entity on every row).",
        epilog="example: tabletime clinic export --db clinic.sqlite --kind charges "
        "--template us-upload --out march.csv",
    )
    export.add_argument("--db", required=True, metavar="FILE",
                        help="the file clinic merge wrote")
    export.add_argument("--kind", choices=["lines", "charges"], default="lines",
                        help="lines: one claim line per therapist, patient, date, discipline "
                        "and code; charges: as a practice system imports them (--template)")
    export.add_argument("--template", metavar="NAME",
                        help="with --kind charges: shipped (generic, us-upload) or NAME.toml "
                        "in your data folder's templates/ (default: generic)")
    export.add_argument("--from", dest="first", type=date_argument, metavar="DATE",
                        help=DATE_HELP)
    export.add_argument("--to", dest="last", type=date_argument, metavar="DATE",
                        help=DATE_HELP)
    export.add_argument("--out", metavar="FILE",
                        help="a new file to write (default, or -: standard output)")
    export.add_argument("--force", action="store_true",
                        help="replace FILE if it exists (it must be a regular file)")


def _add_units_parser(commands: Any) -> None:
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
    units.add_argument("--pos", metavar="CODE", default="11",
                       help="the place of service (default 11 office; 10 telehealth at home, "
                       "02 telehealth elsewhere, 22/19 outpatient hospital: facility rate)")
    units.add_argument("--telehealth", choices=("video", "audio"),
                       help="furnished by telehealth: modifier 95 (video) or 93 (audio only)")
    units.add_argument("--json", action="store_true", help="print one JSON object")
    units.add_argument("items", nargs="*", metavar="CODE=MINUTES", help="e.g. 97110=33 97161")


def lazy(module: str, name: str, *, brief: bool = False
         ) -> Callable[[argparse.Namespace], int]:
    """A command of `tui.cli.<module>`, imported when it runs: storage, pydantic and Textual
    load only for the commands that need them. A `brief` command reads, prints and ends: it
    runs without the cyclic garbage collector (see _collector_off)."""

    def run(args: argparse.Namespace) -> int:
        with _loading(f"tui.cli.{module}"):
            command: Callable[[argparse.Namespace], int] = getattr(
                importlib.import_module(f"tui.cli.{module}"), name)
        if not brief:
            return command(args)
        with _collector_off():
            return command(args)

    return run


@contextmanager
def _loading(module: str) -> Iterator[None]:
    """Loading the modules of a command makes objects that live as long as the process, with
    few cycles to free: the cyclic garbage collector would walk them about 150 times while
    the app's modules load (a tenth of the time to Today) and again at each full collection
    while the app runs. It waits until they are loaded, and they are then frozen out of its
    way (gc.freeze) before it runs again. Once a process: what is loaded already is not."""
    if module in sys.modules:
        yield
        return
    with _collector_off():
        try:
            yield
        finally:
            gc.freeze()


@contextmanager
def _collector_off() -> Iterator[None]:
    """The cyclic garbage collector paused. Reference counting still frees what is dropped;
    only cycles wait. Its walks were 1-2% of what `summary` and `patient` do on five years
    of history, for no memory returned (the same peak without them: few cycles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


BRIEF = ("summary", "patient")
COMMANDS = {"units": lazy("units", "run_units"), "demo": lazy("app", "run_demo"),
            "serve": lazy("serve", "run_serve"),
            **{name: lazy("data", f"run_{name}") for name in
               ("export", "import", "check", "backup", "restore")},
            **{name: lazy("data", f"run_{name}", brief=True) for name in BRIEF}}
OPEN_THE_APP = lazy("app", "run_app")


def _clinic(args: argparse.Namespace) -> int:
    """`tabletime clinic ACTION`: tui/cli/clinic.py's run_ACTION."""
    return lazy("clinic", f"run_{args.action}")(args)


COMMANDS["clinic"] = _clinic


def main(argv: Sequence[str] | None = None) -> int:
    """Every outcome is an exit status and at most one line on stderr, never a traceback."""
    parser = build_parser()
    args: argparse.Namespace | None = None
    try:
        args = parser.parse_args(argv)
        _check_range(args)
        if sys.stdout is None and _prints(args):
            raise UsageError("standard output is closed: there is nowhere to print to"
                             + (" (give --out FILE)" if args.command == "export" else ""))
        status = COMMANDS.get(args.command, OPEN_THE_APP)(args)
        if sys.stdout is not None:
            sys.stdout.flush()  # a reader that went away is noticed here, not at exit
        if argv is None and args.command in BRIEF:
            _end_now(status)
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


def _check_range(args: argparse.Namespace) -> None:
    """Every command's --from and --to: in order, and --to without --from only where a
    range may start at the first day (an export, a merge), not a summary (a week from)."""
    first, last = getattr(args, "first", None), getattr(args, "last", None)
    if first is not None and last is not None and first > last:
        raise UsageError(f"--from {first} is after --to {last}")
    summary = "summary" in (args.command, getattr(args, "action", None))
    if summary and last is not None and first is None:
        raise UsageError("--to goes with --from: give the first day too")


def _end_now(status: int) -> None:
    """The process ends here, its output flushed, without the interpreter's teardown: freeing
    every module and object one by one was a twentieth of `summary` and `patient` on five
    years of history, memory the system takes back at once. Only the program itself (main()
    reading sys.argv) ends so, never a caller of main() in the same process; and only a
    command that has closed its data folder (nothing is left to write or release)."""
    if sys.stderr is not None:
        sys.stderr.flush()
    os._exit(status)


def _fail(error: object, status: int) -> int:
    print(f"tabletime: error: {printable(str(error))}", file=sys.stderr)
    return status


def _prints(args: argparse.Namespace) -> bool:
    """Whether the command's result is what it prints (then a closed stdout is bad input)."""
    if args.command == "export":
        return args.out in (None, "-")
    return args.command in ("summary", "patient", "check", "units")


def _writes(args: argparse.Namespace | None) -> bool:
    """Whether the command writes its data folder (a reading one never does, not even a
    crash report: that goes to the temp folder)."""
    if args is not None and args.command == "patient":
        return args.used_elsewhere is not None
    return args is not None and args.command not in ("units", "export", "summary", "backup",
                                                     "clinic")


def _data_dir_or_none(args: argparse.Namespace | None) -> Path | None:
    try:
        from storage.folder import resolve_data_dir

        return resolve_data_dir(None if args is None else args.data_dir)
    except Exception:  # only where to put a crash report: the temp folder will do
        return None


if __name__ == "__main__":
    sys.exit(main())
