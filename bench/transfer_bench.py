"""Import and export benchmark: are they linear in rows, whatever the patient mix, and flat in
memory? And the end-of-day reports: the day summary, a year of claim lines, a long history.

Generates segments CSV files of 100,000 and 1,000,000 rows (40 sessions a working day, five
segments of 3 to 7 minutes each, back from yesterday), in two patient mixes at 100,000 rows (a
returning pool, and a new patient for every session), and runs the real command line on each:
`tabletime import` into an empty folder, `tabletime import` again (everything already stored),
and `tabletime export --out`, with wall time and peak memory from the kernel's accounting of
the child process. Then, on a folder with 5 years of history (bench/history.py): the day
summary, a year of claim lines, and the history of a patient seen every working day.

Budgets: 1M rows import under 60 s and 300 MB; export of 1M rows under 100 MB; time per row
at 1M within 1.5x of 100k; the distinct-patient mix within 1.5x of the pool; a history of
1,300 visits under 300 ms. Prints figures; exits 1 over budget.

    .venv/bin/python bench/transfer_bench.py [--rows 100000 1000000]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from history import SETTINGS, TODAY, Clock, folder_with

from core.formats.segments_csv import COLUMNS
from storage.atomic import ensure_private_dir
from storage.reports import write_lines
from storage.repository import Repository
from storage.settings_file import save_settings
from storage.views import day_view, patient_history_view

PER_DAY = 40
SEGMENTS = ("97110", "97140", "97530", "97112", "97116")


def write_csv(path: Path, rows: int, distinct: bool) -> None:
    """`rows` segment rows, newest day yesterday (the real one: the command line imports
    nothing from the future), going back one working day at a time."""
    zone = SETTINGS.zone
    day = datetime.now(UTC).astimezone(zone).date() - timedelta(days=2)
    written = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        while written < rows:
            if day.weekday() < 5:
                written += _day(writer, day, zone, distinct, rows - written)
            day -= timedelta(days=1)


def _day(writer: csv.writer, day: date, zone: object, distinct: bool,  # type: ignore[valid-type]
         room: int) -> int:
    """A day's sessions from 6:00, each five segments of 3 to 7 minutes (as varied as at the
    table: few exact ties)."""
    opening = datetime(day.year, day.month, day.day, 6, 0, tzinfo=zone)  # type: ignore[arg-type]
    count = 0
    begin = opening
    for slot in range(PER_DAY):
        session = uuid.uuid5(uuid.NAMESPACE_URL, f"{day}/{slot}")
        patient = f"N{session.hex[:10]}" if distinct else f"P{(day.toordinal() + slot) % 300:04d}"
        for part, code in enumerate(SEGMENTS):
            if count >= room:
                return count
            length = timedelta(minutes=3 + (slot + part * 3) % 5, seconds=(slot * 7) % 60)
            writer.writerow([session, day.isoformat(), patient, "Medicare", "cms", "PT", code,
                             begin.isoformat(), (begin + length).isoformat(),
                             int(length.total_seconds()), "therapist", ""])
            begin += length
            count += 1
    return count


def child(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of a child process (the kernel's accounting)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"{command} failed: {process.stderr.read() if process.stderr else ''}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def transfer(base: Path, rows: int, distinct: bool) -> dict[str, tuple[float, float]]:
    tabletime = str(Path(sys.executable).with_name("tabletime"))
    source = base / f"in-{rows}-{distinct}.csv"
    write_csv(source, rows, distinct)
    folder = base / f"data-{rows}-{distinct}"
    ensure_private_dir(folder)
    save_settings(folder, SETTINGS)  # the clinic's zone, which dates of service follow
    figures = {
        "import": child([tabletime, "--data-dir", str(folder), "import", str(source)]),
        "again": child([tabletime, "--data-dir", str(folder), "import", str(source)]),
        "export": child([tabletime, "--data-dir", str(folder), "export", "--out",
                         str(base / f"out-{rows}-{distinct}.csv")]),
    }
    shutil.rmtree(folder)
    source.unlink()
    (base / f"out-{rows}-{distinct}.csv").unlink()
    return figures


def reports(base: Path) -> dict[str, float]:
    folder = folder_with(5, base / "reports")
    clock = Clock(TODAY)
    figures: dict[str, list[float]] = {}
    with Repository.open(folder, clock, SETTINGS) as repo:
        yesterday = repo.local(TODAY).date() - timedelta(days=1)
        year = date(yesterday.year - 1, 1, 1), date(yesterday.year - 1, 12, 31)
        for _ in range(5):
            started = time.perf_counter()
            day_view(repo, yesterday, clock.now)
            figures.setdefault("day", []).append(time.perf_counter() - started)
            started = time.perf_counter()
            visits = len(patient_history_view(repo, "REGULAR"))
            figures.setdefault("history", []).append(time.perf_counter() - started)
            started = time.perf_counter()
            write_lines(repo, *year, clock.now, io.StringIO())
            figures.setdefault("lines", []).append(time.perf_counter() - started)
    shutil.rmtree(folder)
    result = {name: statistics.median(values) * 1000 for name, values in figures.items()}
    result["visits"] = visits
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="tabletime-transfer-bench-"))
    results = {}
    for rows in args.rows:
        for distinct in ((False, True) if rows == min(args.rows) else (False,)):
            figures = transfer(base, rows, distinct)
            results[(rows, distinct)] = figures
            mix = "a new patient each session" if distinct else "a returning pool"
            print(f"{rows:>9,} rows, {mix}: " + " | ".join(
                f"{name} {wall:6.1f} s {rss:5.0f} MB" for name, (wall, rss) in figures.items()))
    r = reports(base)
    print(f"5 years: day summary {r['day']:.0f} ms | a year of claim lines {r['lines']:.0f} ms "
          f"| history of {r['visits']:,} visits {r['history']:.0f} ms")
    small, large = min(args.rows), max(args.rows)
    verdicts = [(f"history of {r['visits']:,} visits under 300 ms ({r['history']:.0f} ms)",
                 r["history"] < 300)]
    pool, new = results[(small, False)]["import"][0], results[(small, True)]["import"][0]
    verdicts.append((f"import with a new patient each session within 1.5x of a pool "
                     f"({new / pool:.2f}x)", new / pool <= 1.5))
    if large != small:
        wall, rss = results[(large, False)]["import"]
        verdicts.append((f"{large:,} rows import under 60 s ({wall:.0f} s)", wall < 60))
        verdicts.append((f"{large:,} rows import under 300 MB ({rss:.0f} MB)", rss < 300))
        per_row = (wall / large) / (pool / small)
        verdicts.append((f"import time per row at {large:,} within 1.5x of {small:,} "
                         f"({per_row:.2f}x)", per_row <= 1.5))
        export_rss = results[(large, False)]["export"][1]
        verdicts.append((f"{large:,} rows export under 100 MB ({export_rss:.0f} MB)",
                         export_rss < 100))
    for text, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    shutil.rmtree(base, ignore_errors=True)
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
