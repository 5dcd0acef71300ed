"""The clinic's commands: `tabletime clinic merge` builds one SQLite file from several
therapists' backups (storage/clinic/), `clinic summary` and `clinic export` read it. Nothing
here opens a data folder: the archives and the clinic file are read, the configured data
folder is only where a file may not go (and where the biller's own charge templates are).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import TextIO

from core.text import plural
from storage.clinic.reading import ClinicFile
from storage.folder import resolve_data_dir
from tui.cli.main import EXIT_OK, UsageError
from tui.cli.output import printable_lines, say


def run_merge(args: argparse.Namespace) -> int:
    """Each action imports what it needs: a summary of a date answers sooner."""
    from storage.clinic.database import merge
    from storage.reports import left_open_text
    from tui.cli.args import system_clock

    if args.out == "-":
        raise UsageError("--out needs a file name: a SQLite database cannot go to standard "
                         "output")
    out = Path(args.out).expanduser()
    merged = merge([Path(a).expanduser() for a in args.archives], out,
                   resolve_data_dir(args.data_dir), system_clock(), first=args.first,
                   last=args.last, force=args.force)
    for older, newer in merged.left_out:
        say(f"left out {older.path}: an older backup of {older.who} than {newer.path} "
            f"(written {older.created:%Y-%m-%d %H:%M:%S} UTC, the one merged "
            f"{newer.created:%Y-%m-%d %H:%M:%S} UTC)")
    for archive, still_open in merged.still_open:
        say(f"warning: {archive.who}: {left_open_text(still_open)}")
    for archive, sessions, segments, lines in merged.therapists:
        say(f"merged {archive.who} from {archive.path}: {plural(sessions, 'session')}, "
            f"{plural(segments, 'segment')}, {plural(lines, 'claim line')}")
    say(f"wrote {plural(len(merged.therapists), 'therapist')} to {out}, with "
        f"{plural(merged.checks, 'clinic check')} (tabletime clinic summary --db {out})")
    return EXIT_OK


def run_summary(args: argparse.Namespace) -> int:
    """A date (the file's latest by default) or a range, as of the merge; never writes."""
    from storage.clinic.views import clinic_day, clinic_range
    from tui.cli.clinic_output import (
        clinic_day_json,
        clinic_day_text,
        clinic_range_json,
        clinic_range_text,
    )

    with ClinicFile.open(Path(args.db).expanduser()) as clinic:
        if args.first is not None:
            from tui.cli.summary_range import checked_range

            first, last = checked_range(args.first, args.last)
            _within_the_merge(clinic, first, last)
            view = clinic_range(clinic, first, last)
            found = clinic_range_json(view) if args.json else clinic_range_text(view)
        else:
            day = args.date or _latest(clinic)
            _within_the_merge(clinic, day, day)
            today = clinic_day(clinic, day)
            found = clinic_day_json(today) if args.json else clinic_day_text(today)
    print(json.dumps(found, indent=2) if isinstance(found, dict) else printable_lines(found))
    return EXIT_OK


def _within_the_merge(clinic: ClinicFile, first: date | None, last: date | None) -> None:
    """Dates the file was not merged for are refused (they would read as days without any
    session); a range reaching past the merged one is said. None: the file's own bound."""
    start, end = clinic.merged_range()
    first, last = first or start or date.min, last or end or date.max
    held = f"{start or 'the first day'} to {end or 'the last day'}"
    if (start is not None and last < start) or (end is not None and first > end):
        raise UsageError(f"{clinic.where} holds the dates {held} (merged with --from/--to): "
                         "merge the archives again for other dates")
    if (start is not None and first < start) or (end is not None and last > end):
        say(f"warning: {clinic.where} holds only the dates {held}: the others read as days "
            "without sessions")


def _latest(clinic: ClinicFile) -> date:
    days = clinic.days(None, None)
    if not days:
        raise UsageError(f"{clinic.where} holds no session: nothing to summarise")
    return days[-1]


def run_export(args: argparse.Namespace) -> int:
    """The clinic file's claim lines as `export --kind lines` or `--kind charges` write a
    therapist's; to a file (as export --out writes one) or standard output, whole or not at
    all."""
    from storage.clinic.exports import write_charges, write_lines
    from storage.exports import write_out, write_stream
    from tui.cli.data import export_target

    data_dir, template, out = export_target(args)
    db = Path(args.db).expanduser()
    if out is not None and out.resolve() == db.resolve():
        raise UsageError(f"--out {out} is the clinic file being read: choose another file")
    with ClinicFile.open(db) as clinic:
        _within_the_merge(clinic, args.first, args.last)

        def produce(stream: TextIO) -> int:
            if template is None:
                return write_lines(clinic, args.first, args.last, stream)
            return write_charges(clinic, template, args.first, args.last, stream)

        rows = (write_stream(sys.stdout, produce) if out is None
                else write_out(out, data_dir, produce, force=args.force))
        checks = clinic.check_count(args.first, args.last)
    if out is not None:
        say(f"wrote {plural(rows, 'row')} of {args.kind} to {out}")
    if checks:
        say(f"warning: {plural(checks, 'clinic check')} of these dates may change these lines "
            f"(co-treatment, duplicates, pooling, KX): tabletime clinic summary --db {db}")
    return EXIT_OK
