"""End-of-day benchmark: the day summary and a year of claim lines.

Builds a data folder with a year of history (20 sessions a working day, Medicare, the same
40 patients coming back), then one day with 40 sessions, and measures:
  - the day summary of that day (with each Medicare patient's year so far, for KX),
  - exporting a year of claim lines, against a bare load of the same day files plus csv.writer.
    "Bare load" is read as loading them the way every export does (the store's validated
    sessions and segments); the raw JSON parse is printed beside it for comparison.
Budgets (issue 5): day summary under 50 ms; a year of lines under 2 s and within 3 x the bare
load. Prints figures; exits 1 over budget.

    .venv/bin/python bench/export_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

import orjson
from storage.transfer import import_segments
from storage_bench import CODES, TODAY, SteppingClock

from core.segments_csv import COLUMNS
from core.settings import Settings
from storage.reports import days_in_range, export_lines, load_day
from storage.repository import Repository

PATIENTS = 40


def year_csv(settings: Settings, busy_day: date) -> str:
    """A working year of 20 sessions a day from 40 returning patients, and one day of 40."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    zone = settings.zone
    day = busy_day - timedelta(days=365)
    while day <= busy_day:
        if day.weekday() < 5:
            count = PATIENTS if day == busy_day else 20
            opening = datetime(day.year, day.month, day.day, 7, 0, tzinfo=zone)
            for slot in range(count):
                patient = f"P{(slot + day.toordinal()) % PATIENTS:03d}"
                session = uuid.uuid5(uuid.NAMESPACE_URL, f"{day}/{slot}")
                start = opening + timedelta(minutes=16 * slot)
                for part in range(2 + slot % 2):
                    begin = start + timedelta(minutes=5 * part)
                    writer.writerow([session, day.isoformat(), patient, "Medicare", "cms",
                                     "PT", CODES[part], begin.isoformat(),
                                     (begin + timedelta(minutes=5)).isoformat(), 300,
                                     "therapist", ""])
        day += timedelta(days=1)
    return out.getvalue()


def raw_load(folder: Path) -> float:
    """Parse every day file and write its raw segment records with csv.writer."""
    started = time.perf_counter()
    out = io.StringIO()
    writer = csv.writer(out)
    for path in sorted((folder / "days").glob("*/*.json")):
        data = orjson.loads(path.read_bytes())
        for record in data.get("segments", {}).values():
            writer.writerow(record.values())
    return time.perf_counter() - started


def bare_load(repo: Repository, first: date, last: date) -> float:
    """Load every day's sessions and segments from the store and write them with csv.writer."""
    started = time.perf_counter()
    out = io.StringIO()
    writer = csv.writer(out)
    for day in days_in_range(repo, first, last):
        sessions = {s.id: s for s in repo.queries.sessions_on(day)}
        for segment in repo.queries.segments_on(day):
            session = sessions[segment.session_id]
            writer.writerow([session.patient, session.payer.name, segment.code,
                             segment.start.isoformat(), segment.end])
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    settings = Settings(timezone="America/New_York")
    busy_day = TODAY.astimezone(settings.zone).date() - timedelta(days=3)
    folder = Path(tempfile.mkdtemp(prefix="tabletime-export-bench-")) / "data"
    clock = SteppingClock(TODAY, timedelta(0))
    with Repository.open(folder, clock, settings) as repo:
        source = folder.parent / "year.csv"
        source.write_text(year_csv(settings, busy_day))
        report = import_segments(repo, source)
    print(f"history: {report.sessions} sessions, {report.segments} segments")

    day_ms = []
    for _ in range(args.runs):
        with Repository.open(folder, clock, settings, read_only=True) as repo:
            started = time.perf_counter()
            summary = load_day(repo, busy_day, TODAY)
            day_ms.append((time.perf_counter() - started) * 1000)
    assert len(summary.sessions) == PATIENTS
    export_s, bare_s, raw_s = [], [], []
    first, last = busy_day - timedelta(days=364), busy_day
    for _ in range(args.runs):
        with Repository.open(folder, clock, settings, read_only=True) as repo:
            started = time.perf_counter()
            text = export_lines(repo, first, last, TODAY)
            export_s.append(time.perf_counter() - started)
        with Repository.open(folder, clock, settings, read_only=True) as repo:
            bare_s.append(bare_load(repo, first, last))
        raw_s.append(raw_load(folder))
    day, export, bare, raw = (statistics.median(day_ms), statistics.median(export_s),
                              statistics.median(bare_s), statistics.median(raw_s))
    rows = text.count("\n") - 1
    print(f"day summary ({PATIENTS} sessions, KX year so far): median {day:.1f} ms")
    print(f"a year of claim lines ({rows} rows): median {export:.2f} s; bare load + csv.writer "
          f"{bare:.2f} s ({export / bare:.1f}x); raw JSON parse + csv.writer {raw:.2f} s "
          f"({export / raw:.1f}x)")
    verdicts = [
        (f"day summary under 50 ms ({day:.1f} ms)", day < 50),
        (f"a year of lines under 2 s ({export:.2f} s)", export < 2),
        (f"within 3x the bare load ({export / bare:.1f}x)", export <= 3 * bare),
    ]
    for verdict, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {verdict}")
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
