"""Clinic merge benchmark, whole process: `tabletime clinic merge` of 10 therapists' backups
of a year each (about 130,000 segments) run as a child process, timed (wall) with its peak
memory (the kernel's accounting), beside `python -c pass` run the same way in the same rounds.

The archives are made once, in a child, the way the app makes them: for each therapist a
folder with their own settings (name, NPI-less identity, the clinic's zone), a year of working
days brought in with `tabletime import` (10 sessions a day of five segments of 3 to 7 minutes,
the clinic's patients shared among the therapists, so that patients meet on a date), then
`tabletime backup`. Prints min / median / max of each figure and the ratio of its median to
the baseline's; exits 1 when a median is over its budget.

Budgets (issue 20): 10 therapists x 1 year merge in < 30 s and < 300 MB.

    .venv/bin/python bench/clinic_bench.py [--rounds 3] [--therapists 10]
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

from transfer_bench import BASELINE, SEGMENTS, TABLETIME, Figure, child, spread

PER_DAY = 10
DAYS = 261  # the working days of a year
ZONE = "America/New_York"
MERGE = "clinic merge"


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
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare, args.therapists)
        return 0
    base = Path(tempfile.mkdtemp(prefix="tabletime-clinic-bench-"))
    child([sys.executable, __file__, "--prepare", str(base), "--therapists",
           str(args.therapists)])
    archives = json.loads((base / "plan.json").read_text())["archives"]
    out = base / "clinic.sqlite"
    figures: dict[str, list[Figure]] = {}
    for round_ in range(1, args.rounds + 1):
        figures.setdefault(BASELINE, []).append(child([sys.executable, "-c", "pass"]))
        figures.setdefault(MERGE, []).append(child(
            [TABLETIME, "--data-dir", str(base / "none"), "clinic", "merge", *archives,
             "--out", str(out), "--force"]))
        print(f"round {round_} of {args.rounds} done", flush=True)
    segments = _count(out, "segments")
    shutil.rmtree(base, ignore_errors=True)
    return report(figures, args.therapists, segments)


def _count(db: Path, table: str) -> int:
    import sqlite3

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        found: int = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return found


def report(figures: dict[str, list[Figure]], therapists: int, segments: int) -> int:
    floor = statistics.median(w for w, _, _ in figures[BASELINE])
    print(f"\nwhole process, {len(figures[BASELINE])} rounds, min / median / max:")
    for name, found in figures.items():
        print(f"  {name}: {spread([w for w, _, _ in found], 's', floor)}; "
              f"peak {spread([m for _, m, _ in found], 'MB')}; "
              f"CPU {spread([c for _, _, c in found], 's')}")
    wall = statistics.median(w for w, _, _ in figures[MERGE])
    peak = statistics.median(m for _, m, _ in figures[MERGE])
    what = f"{therapists} therapists x 1 year ({segments:,} segments)"
    verdicts = [(f"merge of {what} < 30 s ({wall:.1f} s)", wall < 30),
                (f"merge of {what} < 300 MB ({peak:.0f} MB)", peak < 300)]
    for text, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
