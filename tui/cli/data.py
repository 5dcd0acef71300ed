"""The commands that use a data folder: export, import, summary, patient, check, backup and
restore. Imported only when one of them runs (`tabletime units` never loads storage); what
they print is tui/cli/output.py's. What only export, import, check, backup or restore use is
imported in that command: `summary` and `patient` load what they need, and answer sooner.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from core.billing.modifiers import TherapyBucket
from core.kinds import EARLIEST_YEAR, LATEST_YEAR, Discipline
from core.text import plural, printable
from storage.errors import InvalidChange
from storage.folder import resolve_data_dir
from storage.repository import Repository
from storage.views import day_view, patient_view
from tui.cli.args import system_clock
from tui.cli.main import EXIT_ERROR, EXIT_OK, EXIT_USAGE, UsageError
from tui.cli.output import (
    check_json,
    check_text,
    patient_json,
    patient_text,
    printable_lines,
    say,
    summary_json,
    summary_text,
)

if TYPE_CHECKING:
    from core.formats.charges import ChargeTemplate


def report_notices(repo: Repository) -> None:
    """What the store had to say, one line each (a file it skipped, and why, among them)."""
    for notice in repo.pop_notices():
        say(f"{notice.severity}: {notice.message}")


def skipped_json(repo: Repository) -> list[dict[str, str]]:
    """The `skipped` list of a --json output: each file that could not be read, and why."""
    return [{"file": str(path), "reason": reason}
            for path, reason in repo.store.skipped().items()]


def run_export(args: argparse.Namespace) -> int:
    """Every kind of export is whole or nothing: a day file of the range that could not be
    read (or lost sessions) writes nothing, exit 1, unless --partial accepts a file without
    it; standard output too gets the export only once it is complete."""
    from storage.charges import write_charges
    from storage.errors import IncompleteExport
    from storage.exports import named_files, require_whole, write_out, write_stream
    from storage.reports import (
        left_open,
        left_open_text,
        write_lines,
        write_segments,
        write_sessions,
    )

    data_dir, template, out = export_target(args)
    lacks: dict[str, str] = {}
    with Repository.open(data_dir, system_clock, read_only=True) as repo:
        now = system_clock()

        def produce(stream: TextIO) -> int:
            if args.kind == "segments":
                rows = write_segments(repo, args.first, args.last, stream)
            elif args.kind == "lines":
                rows = write_lines(repo, args.first, args.last, now, stream)
            elif template is not None:
                rows = write_charges(repo, template, args.first, args.last, now, stream)
            else:
                rows = write_sessions(repo, args.first, args.last, now, stream)
            try:
                lacks.update(require_whole(repo, args.first, args.last, partial=args.partial,
                                           year_to_date=args.kind != "segments"))
            except IncompleteExport as error:
                raise IncompleteExport(f"{error}, or add --partial to write what could be "
                                       "read") from None
            return rows

        try:
            rows = (write_stream(sys.stdout, produce) if out is None
                    else write_out(out, data_dir, produce, force=args.force))
            billed = args.kind in ("lines", "charges")
            if billed and (still_open := left_open(repo, args.first, args.last)):
                say(f"warning: {left_open_text(still_open)}")
        finally:
            report_notices(repo)
    if lacks:
        say(f"warning: written without {named_files(lacks)} (--partial)")
    if out is not None:
        say(f"wrote {plural(rows, 'row')} of {args.kind} to {out}")
    return EXIT_OK


def export_target(args: argparse.Namespace) -> tuple[Path, ChargeTemplate | None, Path | None]:
    """What an export checks before any work (a therapist's or the clinic's): the data
    folder, the charge template (--kind charges) and the file to write (None: standard
    output), refused before anything is read."""
    from storage.exports import check_out

    if args.template is not None and args.kind != "charges":
        raise UsageError("--template goes with --kind charges")
    data_dir = resolve_data_dir(args.data_dir)
    template = charge_template(data_dir, args.template) if args.kind == "charges" else None
    out = None if args.out in (None, "-") else Path(args.out).expanduser()
    if out is not None:
        check_out(out, data_dir, force=args.force)
    return data_dir, template, out


def charge_template(data_dir: Path, name: str | None) -> ChargeTemplate:
    """The template asked for (generic by default), checked before anything is read or
    written; one of the data folder's templates/ is named, as it takes the shipped one's place."""
    from core.formats.charges import DEFAULT_TEMPLATE, SHIPPED, TemplateError
    from storage.charges import find_template

    try:
        template, path = find_template(data_dir, DEFAULT_TEMPLATE if name is None else name)
    except TemplateError as error:
        raise UsageError(str(error)) from None
    if path is not None:
        instead = f", in place of the shipped {path.stem}" if path.stem in SHIPPED else ""
        say(f"using the template {path}{instead}")
    return template


def run_summary(args: argparse.Namespace) -> int:
    if args.first is not None:
        from tui.cli.summary_range import run_summary_range

        return run_summary_range(args)
    with Repository.open(resolve_data_dir(args.data_dir), system_clock, read_only=True) as repo:
        now = system_clock()
        summary = day_view(repo, args.date or repo.local(now).date(), now)
        skipped = skipped_json(repo)
        report_notices(repo)
    print(json.dumps({**summary_json(summary), "skipped": skipped}, indent=2) if args.json
          else printable_lines(summary_text(summary)))
    return EXIT_OK


def run_patient(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(args.data_dir)
    now = system_clock()
    elsewhere = args.used_elsewhere is not None
    authorizing = args.authorized_visits is not None or args.authorized_units is not None
    if elsewhere and args.bucket is None:
        raise UsageError("--used-elsewhere needs --bucket PT+SLP or --bucket OT (KX counts PT "
                         "and SLP together, OT on its own)")
    if authorizing and (args.payer is None or args.until is None):
        raise UsageError("an authorization needs --payer NAME and --until DATE besides "
                         "--authorized-visits and/or --authorized-units")
    episode = args.start_of_care is not None
    if episode and args.discipline is None:
        raise UsageError("--start-of-care needs --discipline PT, OT or SLP")
    if not episode and (args.certified_until or args.signed):
        raise UsageError("--certified-until and --signed belong to an episode: give its "
                         "--start-of-care and --discipline")
    if args.year is not None and not EARLIEST_YEAR <= args.year <= LATEST_YEAR:
        raise UsageError(f"--year {args.year} is out of range ({EARLIEST_YEAR}-{LATEST_YEAR})")
    with Repository.open(data_dir, system_clock,
                         read_only=not (elsewhere or authorizing or episode)) as repo:
        today = repo.local(now).date()
        _refuse_impossible_dates(args, today)
        year = today.year if args.year is None else args.year
        patient = args.patient.strip()
        try:
            if elsewhere:
                repo.patients.set_used_elsewhere(patient, year, TherapyBucket(args.bucket),
                                                 args.used_elsewhere, now, args.note)
                say(f"recorded ${args.used_elsewhere:,.2f} used elsewhere in {year} "
                    f"({args.bucket}) for {patient}")
            if authorizing:
                payers = [p.name for p in repo.settings.payers]
                if args.payer not in payers:
                    raise UsageError(f"no payer profile {args.payer!r} in the settings: "
                                     f"{', '.join(payers)}")
                entry = repo.patients.set_authorization(
                    patient, args.payer, visits=args.authorized_visits,
                    units=args.authorized_units, start=args.start or today, until=args.until,
                    now=now, note=args.note)
                say(f"recorded the {entry.payer} authorization of {patient} "
                    f"({entry.start} to {entry.until})")
            if episode:
                care = repo.patients.set_episode(
                    patient, Discipline(args.discipline), args.start_of_care,
                    certified_until=args.certified_until, signed=args.signed, now=now,
                    note=args.note)
                say(f"recorded the {care.discipline} episode of {patient} from "
                    f"{care.start}, certified through {care.certified_until}, "
                    + (f"signed {care.signed}" if care.signed else "not signed yet"))
        except InvalidChange as error:
            raise UsageError(str(error)) from None
        view = patient_view(repo, patient, year, today)
        skipped = skipped_json(repo)
        report_notices(repo)
    print(json.dumps({**patient_json(view), "skipped": skipped}, indent=2) if args.json
          else printable_lines(patient_text(view)))
    return EXIT_OK


START_OF_CARE_AHEAD = timedelta(days=365)
"""A plan of care is entered at most shortly before it starts: a year ahead is a typo."""


def _refuse_impossible_dates(args: argparse.Namespace, today: date) -> None:
    """Dates `patient` records that cannot be true: a signature not given yet, a start of
    care more than a year ahead, an amount used elsewhere in a year that has not begun."""
    if args.signed is not None and args.signed > today:
        raise UsageError(f"--signed {args.signed} is after today ({today}): record a "
                         "signature once it is given")
    if args.start_of_care is not None and args.start_of_care > today + START_OF_CARE_AHEAD:
        raise UsageError(f"--start-of-care {args.start_of_care} is more than a year ahead: "
                         "check the year")
    if args.used_elsewhere is not None and args.year is not None and args.year > today.year:
        raise UsageError(f"--year {args.year} has not begun: what other providers billed is "
                         "recorded for this year or an earlier one")


def run_import(args: argparse.Namespace) -> int:
    from storage.imports import import_segments

    if not args.file.exists():
        raise UsageError(f"no such file: {args.file}")
    if not args.file.is_file():
        raise UsageError(f"{args.file} is not a regular file (a folder, a pipe...): give a "
                         "segments CSV")
    with Repository.open(resolve_data_dir(args.data_dir), system_clock) as repo:
        report = import_segments(repo, args.file)
        report_notices(repo)
    if report.errors:
        more = f" (the first {len(report.errors)} listed)" if report.more_errors else ""
        say(f"error: {plural(len(report.errors) + report.more_errors, 'problem')} in "
            f"{args.file}{more}; nothing was imported")
        for bad in report.errors:
            print(f"  {printable(str(bad))}", file=sys.stderr)
        return EXIT_USAGE
    print(f"imported {plural(report.sessions, 'session')} "
          f"({plural(report.segments, 'segment')}) from {printable(str(args.file))}")
    if report.skipped:
        unnamed = report.skipped - len(report.skipped_listed)
        listed = ", ".join(report.skipped_listed) + (f" and {unnamed} more" if unnamed else "")
        print(f"skipped {plural(report.skipped, 'session')} already stored (left as they "
              f"are): {listed}")
    for flagged in report.warnings:
        say(f"warning: {flagged}")
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    from storage.check import check_folder

    report = check_folder(resolve_data_dir(args.data_dir), system_clock,
                          accept_missing=args.accept_missing)
    for skipped in report.skipped:
        say(f"skipped {skipped.file}: {skipped.reason}")
    print(json.dumps(check_json(report), indent=2) if args.json
          else printable_lines(check_text(report)))
    return EXIT_OK if report.ok else EXIT_ERROR


def run_backup(args: argparse.Namespace) -> int:
    """An archive of the folder as it is; one that would lack sessions the index knew (a day
    file that lost them) is refused unless --partial: restoring it would forget they were."""
    from storage import layout
    from storage.backup import write_backup
    from storage.errors import BadPath, IncompleteExport
    from storage.exports import write_out

    data_dir = resolve_data_dir(args.data_dir)
    with Repository.open(data_dir, system_clock, read_only=True) as repo:
        unreadable = {layout.day_of(data_dir, path) for path in repo.store.skipped()}
        missing = [m for m in repo.indexes.missing() if m.date not in unreadable]
        repo.pop_notices()  # a file that cannot be read is named by the backup itself
    if not layout.day_files(data_dir):
        raise BadPath(f"{printable(str(data_dir))} holds no sessions to back up")
    if missing and not args.partial:
        dates = ", ".join(str(entry.date) for entry in missing)
        raise IncompleteExport(
            f"the day files lost sessions the index knew ({dates}): a backup would not hold "
            "them and a restore would forget they were; put them back or accept the loss "
            "(tabletime check --accept-missing), or add --partial; nothing was written")
    out = Path(args.file).expanduser()
    days: list[int] = []

    def produce(stream: TextIO) -> int:
        days.append(write_backup(data_dir, stream.buffer))
        return days[0]

    write_out(out, data_dir, produce, force=args.force)
    say(f"backed up {plural(days[0], 'day file')}{_and_settings(data_dir)} to {out}")
    return EXIT_OK


def _say_building(days: int) -> None:
    say(f"building the index from the {days:,} day files restored...")


def run_restore(args: argparse.Namespace) -> int:
    from storage.backup import restore_backup

    data_dir = resolve_data_dir(args.data_dir)
    with restore_backup(args.file, data_dir) as (lock, days), \
            Repository.open(data_dir, system_clock, lock=lock,
                            before_long_rebuild=_say_building) as repo:
        report_notices(repo)
    say(f"restored {plural(days, 'day file')}{_and_settings(data_dir)} into {data_dir}")
    return EXIT_OK


def _and_settings(data_dir: Path) -> str:
    """What a backup or restore says of the settings: a folder may have none yet (sessions
    imported, or the app's first-run questions not answered: it asks them at its start)."""
    from storage import layout

    if layout.settings_path(data_dir).exists():
        return " and the settings"
    return " (no settings yet: the app asks for them at its first start)"


