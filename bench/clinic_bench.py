"""Clinic benchmark, whole process: `tabletime clinic merge` of 10 therapists' backups of a
year each (about 130,000 segments), then `clinic summary` and `clinic export` reading the
merged file, each run as a child process, timed (wall) with its peak memory (the kernel's
accounting), beside `python -c pass` run the same way in the same rounds.

The archives are made once, in a child, the way the app makes them: for each therapist a
folder with their own settings (name, NPI-less identity, the clinic's zone), a year of working
days brought in with `tabletime import` (10 sessions a day of five segments of 3 to 7 minutes,
the clinic's patients shared among the therapists, so that patients meet on a date), then
`tabletime backup`. With --keep DIR they are made in DIR and kept, and a DIR that already
holds them (DIR/plan.json) is used as it is.

Each round runs the baseline, the merge, then on the file it wrote: the summary of a busy date
(the most sessions, then the most clinic checks, with a whole week of sessions from it; chosen
once, after the first merge) as text and as --json, of the week from that date, of a year
(--from the file's first day --to 365 days later), and the export of the whole file's claim
lines (--kind lines).
Prints min / median / max of each figure and the ratio of its median to the baseline's; exits
1 when a median is over its budget.

Budgets: 10 therapists x 1 year merge in < 30 s and < 300 MB (issue 20); the summary of a date
in < 0.5 s, text and JSON. The week, the year and the export are figures, without a budget.

    .venv/bin/python bench/clinic_bench.py [--rounds 3] [--therapists 10] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from transfer_bench import BASELINE, SEGMENTS, TABLETIME, Figure, child, printed, verdict

PER_DAY = 10
DAYS = 261  # the working days of a year
ZONE = "America/New_York"
MERGE = "clinic merge"
DATE = "clinic summary --date"
DATE_JSON = "clinic summary --date --json"
WEEK = "clinic summary, a week"
YEAR = "clinic summary, a year"
LINES = "clinic export --kind lines, the whole file"
Readers = dict[str, list[str]]
"""The commands that read the merged file, by name."""


def prepare(base: Path, therapists: int) -> None:
    """Each therapist's folder and backup; what to merge, in base/plan.json."""
    from core.formats.segments_csv import COLUMNS
    from core.settings import Settings
    from storage.atomic import ensure_private_dir
    from storage.settings_file import save_settings

    archives = []
    for number in range(therapists):
        folder = base / f"therapist-{number}"
        ensure_private_dir(folder)
        save_settings(folder, Settings(therapist=f"Therapist {number}", credentials="PT",
                                       timezone=ZONE))
        source = base / f"therapist-{number}.csv"
        with source.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            writer.writerows(year_of(number))
        archive = base / f"therapist-{number}.tar.gz"
        for command in (["import", str(source)], ["backup", str(archive)]):
            subprocess.run([TABLETIME, "--data-dir", str(folder), *command], check=True,
                           stdout=subprocess.DEVNULL)
        archives.append(str(archive))
    (base / "plan.json").write_text(json.dumps({"archives": archives}))


def year_of(therapist: int) -> list[list[object]]:
    """A therapist's year of segment rows, newest day two days ago, working days only."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(ZONE)
    day = datetime.now(UTC).astimezone(zone).date() - timedelta(days=2)
    rows: list[list[object]] = []
    days = 0
    while days < DAYS:
        if day.weekday() < 5:
            rows += day_of(therapist, day, zone)
            days += 1
        day -= timedelta(days=1)
    return rows


def day_of(therapist: int, day: date, zone: tzinfo) -> list[list[object]]:
    """A therapist's sessions of one day from 7:00 (their patients overlap the others')."""
    begin = datetime(day.year, day.month, day.day, 7, therapist % 4 * 10, tzinfo=zone)
    rows: list[list[object]] = []
    for slot in range(PER_DAY):
        session = uuid.uuid5(uuid.NAMESPACE_URL, f"therapist-{therapist}/{day}/{slot}")
        patient = f"P{(day.toordinal() * 7 + slot * 3 + therapist) % 400:04d}"
        for part, code in enumerate(SEGMENTS):
            length = timedelta(minutes=3 + (slot + part * 3 + therapist) % 5,
                               seconds=(slot * 7) % 60)
            rows.append([session, day.isoformat(), patient, "Medicare", "cms", "PT", code,
                         begin.isoformat(), (begin + length).isoformat(),
                         int(length.total_seconds()), "therapist", ""])
            begin += length
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--therapists", type=int, default=10)
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="make the archives in DIR and keep them; use them as they are "
                             "when DIR/plan.json exists (default: a temporary folder)")
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare, args.therapists)
        return 0
    work = Path(tempfile.mkdtemp(prefix="tabletime-clinic-bench-"))
    base = args.keep.resolve() if args.keep else work
    if not (base / "plan.json").exists():
        child([sys.executable, __file__, "--prepare", str(base), "--therapists",
               str(args.therapists)])
    archives = json.loads((base / "plan.json").read_text())["archives"]
    if len(archives) != args.therapists:
        raise SystemExit(f"{base} holds {len(archives)} therapists' archives, not "
                         f"{args.therapists}: use another --keep DIR")
    out = work / "clinic.sqlite"
    clinic = [TABLETIME, "--data-dir", str(work / "none"), "clinic"]
    figures: dict[str, list[Figure]] = {}
    busy, readers = "", Readers()
    for round_ in range(1, args.rounds + 1):
        figures.setdefault(BASELINE, []).append(child([sys.executable, "-c", "pass"]))
        figures.setdefault(MERGE, []).append(child(
            [*clinic, "merge", *archives, "--out", str(out), "--force"]))
        if not readers:
            busy, readers = reading(clinic, out, work / "lines.csv")
        for name, command in readers.items():
            figures.setdefault(name, []).append(child(command))
        print(f"round {round_} of {args.rounds} done", flush=True)
    segments = _query(out, "SELECT count(*) FROM segments")[0]
    shutil.rmtree(work, ignore_errors=True)
    return report(figures, args.therapists, segments, busy)


def reading(clinic: list[str], db: Path, lines: Path) -> tuple[str, Readers]:
    """A busy date of the merged file (the most sessions, then the most clinic checks, with a
    whole week of sessions from it) and the commands that read the file: that date, its week,
    a year from the file's first day, the export of all its claim lines."""
    first, last = map(date.fromisoformat, _query(
        db, "SELECT min(date_of_service), max(date_of_service) FROM sessions"))
    busy = date.fromisoformat(_query(db, """
        SELECT s.date_of_service FROM sessions AS s WHERE s.date_of_service <= ?
        GROUP BY s.date_of_service
        ORDER BY count(*) DESC, (SELECT count(*) FROM clinic_checks AS c
                                 WHERE c.date_of_service = s.date_of_service) DESC,
                 s.date_of_service DESC LIMIT 1""", str(last - timedelta(days=6)))[0])
    summary = [*clinic, "summary", "--db", str(db)]
    return busy.isoformat(), {
        DATE: [*summary, "--date", busy.isoformat()],
        DATE_JSON: [*summary, "--date", busy.isoformat(), "--json"],
        WEEK: [*summary, "--from", busy.isoformat(), "--to", str(busy + timedelta(days=6))],
        YEAR: [*summary, "--from", first.isoformat(), "--to", str(first + timedelta(days=365))],
        LINES: [*clinic, "export", "--db", str(db), "--kind", "lines", "--out", str(lines),
                "--force"],
    }


def _query(db: Path, sql: str, *parameters: str) -> tuple[Any, ...]:
    """The first row of a query of the file, opened read-only."""
    import sqlite3

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        row: tuple[Any, ...] = connection.execute(sql, parameters).fetchone()
    return row


def report(figures: dict[str, list[Figure]], therapists: int, segments: int, busy: str) -> int:
    median = printed(figures)
    wall, peak = median(MERGE), median(MERGE, which=1)
    what = f"{therapists} therapists x 1 year ({segments:,} segments)"
    verdicts = [(f"merge of {what} < 30 s ({wall:.1f} s)", wall < 30),
                (f"merge of {what} < 300 MB ({peak:.0f} MB)", peak < 300)]
    verdicts += [(f"{name} {busy} < 0.5 s ({median(name):.2f} s)", median(name) < 0.5)
                 for name in (DATE, DATE_JSON)]
    return verdict(verdicts)


if __name__ == "__main__":
    raise SystemExit(main())
