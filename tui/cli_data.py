"""The commands that use a data folder: export, import, summary, patient, check, backup,
restore, and opening the app. Imported only when one of them runs (`tabletime units` never
loads storage).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from core.billing.modifiers import TherapyBucket
from core.care.deadlines import authorization_balance, patient_deadlines
from core.kinds import EARLIEST_YEAR, LATEST_YEAR, Discipline
from core.text import plural, printable
from storage.backup import restore_backup, write_backup
from storage.check import check_folder
from storage.errors import BadPath, IncompleteExport, InvalidChange
from storage.exports import (
    check_out,
    named_files,
    require_whole,
    write_out,
    write_segments,
    write_stream,
)
from storage.folder import resolve_data_dir
from storage.imports import import_segments
from storage.reports import (
    left_open,
    left_open_text,
    load_day,
    patient_year,
    write_lines,
    write_sessions,
)
from storage.repository import Repository
from tui.cli import EXIT_ERROR, EXIT_OK, EXIT_USAGE, UsageError


def system_clock() -> datetime:
    return datetime.now(UTC)


def printable_lines(text: str) -> str:
    """Lines of text with what data they hold escaped, line by line (a line break is ours)."""
    return "\n".join(printable(line) for line in text.split("\n"))


def say(text: str) -> None:
    """A line on stderr: what was done, what to look at (stdout holds the data)."""
    print(f"tabletime: {printable(text)}", file=sys.stderr)


def _report_notices(repo: Repository) -> None:
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
    if args.first and args.last and args.first > args.last:
        raise UsageError(f"--from {args.first} is after --to {args.last}")
    data_dir = resolve_data_dir(args.data_dir)
    out = None if args.out in (None, "-") else Path(args.out).expanduser()
    if out is not None:
        check_out(out, data_dir, force=args.force)  # before the work, not after it
    lacks: dict[str, str] = {}
    with Repository.open(data_dir, system_clock, read_only=True) as repo:
        now = system_clock()

        def produce(stream: TextIO) -> int:
            if args.kind == "segments":
                rows = write_segments(repo, args.first, args.last, stream)
            elif args.kind == "lines":
                rows = write_lines(repo, args.first, args.last, now, stream)
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
            if args.kind == "lines" and (still_open := left_open(repo, args.first, args.last)):
                say(f"warning: {left_open_text(still_open)}")
        finally:
            _report_notices(repo)
    if lacks:
        say(f"warning: written without {named_files(lacks)} (--partial)")
    if out is not None:
        say(f"wrote {plural(rows, 'row')} of {args.kind} to {out}")
    return EXIT_OK


def run_summary(args: argparse.Namespace) -> int:
    from tui.day_report import summary_json, summary_text

    with Repository.open(resolve_data_dir(args.data_dir), system_clock, read_only=True) as repo:
        now = system_clock()
        summary = load_day(repo, args.date or repo.local(now).date(), now)
        skipped = skipped_json(repo)
        _report_notices(repo)
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
        buckets = patient_year(repo, patient, year)
        history = repo.queries.visits(patient)
        balances = [authorization_balance(a, history, today)
                    for a in repo.patients.authorizations(patient)]
        episodes = repo.patients.episodes(patient)
        clocks = patient_deadlines(history, episodes, today)
        entries = {(e.year, e.bucket): e for e in repo.patients.entries(patient)}
        skipped = skipped_json(repo)
        _report_notices(repo)
    visits = [(day, v) for day, v in history if day.year == year]
    if args.json:
        print(json.dumps({
            "patient": patient, "year": year, "sessions": len(visits), "skipped": skipped,
            "medicare": {b.bucket.value: {
                "here": f"{b.here:.2f}", "elsewhere": f"{b.elsewhere:.2f}",
                "total": f"{b.total:.2f}",
                "threshold": None if b.threshold is None else f"{b.threshold:.2f}",
                "messages": list(b.messages)} for b in buckets},
            "authorizations": [{
                "payer": b.authorization.payer, "start": b.authorization.start.isoformat(),
                "until": b.authorization.until.isoformat(),
                "visits": b.authorization.visits, "visits_used": b.visits_used,
                "visits_left": b.visits_left, "units": b.authorization.units,
                "units_used": b.units_used, "units_left": b.units_left, "kind": b.kind,
                "message": b.message} for b in balances],
            "clocks": {discipline.value: {
                "progress_report": None if report is None else {
                    "treatment_days": report.treatment_days,
                    "last_report": None if report.last_report is None
                    else report.last_report.isoformat(),
                    "kind": report.kind, "message": report.message},
                "plan_of_care": None if plan is None else {
                    "start": plan.start.isoformat(),
                    "certified_until": plan.certified_until.isoformat(),
                    "signed": None if plan.signed is None else plan.signed.isoformat(),
                    "entered": plan.entered, "kind": plan.kind, "message": plan.message}}
                for discipline, (report, plan) in clocks.items()}}, indent=2))
        return EXIT_OK
    lines = [f"Patient {patient}: {plural(len(visits), 'session')} in {year}"
             + (f" ({visits[0][0]} to {visits[-1][0]})" if visits else ""),
             f"Medicare allowed amounts in {year} (KX counts PT and SLP together, OT alone):"]
    for b in buckets:
        entered = entries.get((year, b.bucket))
        source = f", entered {entered.entered_at:%Y-%m-%d}" if entered else ""
        against = f" of ${b.threshold:,.2f}" if b.threshold else ""
        lines.append(f"  {b.bucket:<7} ${b.here:,.2f} here + ${b.elsewhere:,.2f} elsewhere"
                     f"{source} = ${b.total:,.2f}{against}")
        lines += [f"    ! {message}" for message in b.messages]
    if clocks:
        lines.append(f"Clocks on {today}:")
    for report, plan in clocks.values():
        for clock in (report, plan):
            if clock is not None:
                lines.append(f"  {'!' if clock.kind else ' '} {clock.message}")
    if balances:
        lines.append(f"Authorizations, counted to {today}:")
    for balance in balances:
        mark = "!" if balance.kind else " "
        lines.append(f"  {mark} {balance.message} (from {balance.authorization.start})")
    print(printable_lines("\n".join(lines)))
    return EXIT_OK


START_OF_CARE_AHEAD = timedelta(days=366)
"""A plan of care is entered at most shortly before it starts: a year ahead is a typo."""


def _refuse_impossible_dates(args: argparse.Namespace, today: date) -> None:
    """Dates `patient` records that cannot be true: a signature not given yet, a start of
    care more than a year ahead."""
    if args.signed is not None and args.signed > today:
        raise UsageError(f"--signed {args.signed} is after today ({today}): record a "
                         "signature once it is given")
    if args.start_of_care is not None and args.start_of_care > today + START_OF_CARE_AHEAD:
        raise UsageError(f"--start-of-care {args.start_of_care} is more than a year ahead: "
                         "check the year")


def run_import(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise UsageError(f"no such file: {args.file}")
    with Repository.open(resolve_data_dir(args.data_dir), system_clock) as repo:
        report = import_segments(repo, args.file)
        _report_notices(repo)
    if report.errors:
        more = f" (the first {len(report.errors)} listed)" if report.more_errors else ""
        say(f"error: {plural(len(report.errors) + report.more_errors, 'bad row')} in {args.file}"
            f"{more}; nothing was imported")
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
    report = check_folder(resolve_data_dir(args.data_dir), system_clock,
                          accept_missing=args.accept_missing)
    for skipped in report.skipped:
        say(f"skipped {skipped.file}: {skipped.reason}")
    if args.json:
        result: dict[str, Any] = {
            "ok": report.ok, "empty": report.empty, "day_files": report.day_files,
            "sessions": report.sessions, "open_sessions": report.open_sessions,
            "findings": [f.model_dump() for f in report.findings],
            "skipped": [s.model_dump() for s in report.skipped]}
        print(json.dumps(result, indent=2))
    else:
        print(f"{plural(report.day_files, 'day file')}, {plural(report.sessions, 'session')} "
              f"({report.open_sessions} open)")
        for finding in report.findings:
            print(printable(f"{'fixed' if finding.fixed else 'FOUND'}: {finding.message}"))
        if report.empty:
            print("the folder is empty: nothing has been recorded in it")
        elif report.ok:
            print("all is well")
    return EXIT_OK if report.ok else EXIT_ERROR


def run_backup(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(args.data_dir)
    if not (data_dir / "days").is_dir():
        raise BadPath(f"{printable(str(data_dir))} holds no sessions to back up")
    out = Path(args.file).expanduser()
    days: list[int] = []

    def produce(stream: TextIO) -> int:
        days.append(write_backup(data_dir, stream.buffer))
        return days[0]

    write_out(out, data_dir, produce, force=args.force)
    say(f"backed up {plural(days[0], 'day file')} and the settings to {out}")
    return EXIT_OK


def run_restore(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(args.data_dir)
    with restore_backup(args.file, data_dir) as (lock, days), \
            Repository.open(data_dir, system_clock, lock=lock) as repo:
        _report_notices(repo)
    say(f"restored {plural(days, 'day file')} and the settings into {data_dir}")
    return EXIT_OK


def run_app(args: argparse.Namespace) -> int:
    """Open the app (Textual is imported only here)."""
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

