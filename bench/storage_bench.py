"""Storage benchmark: does a durable start/stop cost the same after five years as on day one?

Builds data folders with 0, 1 and 5 years of history (20 sessions a working day, 4-5 segments
each, imported through the real import path), then measures on each:
  - the durable start (a switch: stop one code, start the next) and stop (pause) writes,
  - opening the folder and recovering open sessions and running timers.
Budgets (issue 3): p95 start/stop under 5 ms at every size, p95 at 5 years at most 1.5 x p95 on
an empty store, open-and-recover under 50 ms at 5 years. Prints figures; exits 1 over budget.

    .venv/bin/python bench/storage_bench.py [--years 0 1 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from storage.transfer import import_segments

from core.segments_csv import COLUMNS
from core.settings import Settings
from storage.repository import Repository

SESSIONS_PER_DAY = 20
CODES = ("97110", "97140", "97530", "97112", "97116")
TODAY = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # a Monday, 09:00 in New York


class SteppingClock:
    """Moves on by `step` at each reading, so that every write happens at a new instant."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


def history_csv(years: int, settings: Settings) -> str:
    """Working days back from yesterday, 20 sessions each, 4 or 5 timed segments per session."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    zone = settings.zone
    day = TODAY.astimezone(zone).date() - timedelta(days=1)
    first = day - timedelta(days=365 * years)
    while day > first:
        if day.weekday() < 5:
            _write_day(writer, day, zone)
        day -= timedelta(days=1)
    return out.getvalue()


def _write_day(writer: csv.writer, day: date, zone: object) -> None:  # type: ignore[valid-type]
    opening = datetime(day.year, day.month, day.day, 8, 0, tzinfo=zone)  # type: ignore[arg-type]
    for slot in range(SESSIONS_PER_DAY):
        session = uuid.uuid5(uuid.NAMESPACE_URL, f"{day}/{slot}")
        start = opening + timedelta(minutes=27 * slot)
        for part in range(4 + slot % 2):
            begin = start + timedelta(minutes=5 * part)
            end = begin + timedelta(minutes=5)
            writer.writerow([session, day.isoformat(), f"P{slot:03d}", "Medicare", "cms", "PT",
                             CODES[part], begin.isoformat(), end.isoformat(), 300, "therapist",
                             ""])


def measure(folder: Path, settings: Settings) -> dict[str, float]:
    clock = SteppingClock(TODAY, timedelta(seconds=20))
    # Two sessions left open with running timers, as after a crash.
    with Repository.open(folder, clock, settings) as repo:
        for patient in ("OPEN1", "OPEN2"):
            session = repo.commands.create_session(patient, "Medicare")
            repo.commands.start(session.id, "97010")

    started = time.perf_counter()
    repo = Repository.open(folder, clock, settings)
    running = repo.queries.running_segments()
    open_ms = (time.perf_counter() - started) * 1000
    assert len(running) == 2

    starts, stops = [], []
    for slot in range(SESSIONS_PER_DAY):
        session = repo.commands.create_session(f"T{slot:03d}", "Medicare")
        for code in CODES[: 4 + slot % 2]:
            t = time.perf_counter()
            repo.commands.start(session.id, code)
            starts.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        repo.commands.stop(session.id)
        stops.append((time.perf_counter() - t) * 1000)
    repo.close()
    writes = starts + stops
    return {
        "start_p50": statistics.median(starts),
        "start_p95": _p95(starts),
        "stop_p50": statistics.median(stops),
        "stop_p95": _p95(stops),
        "write_p95": _p95(writes),
        "open_ms": open_ms,
    }


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, nargs="+", default=[0, 1, 5])
    parser.add_argument("--keep", type=Path, help="build the folders here and keep them")
    args = parser.parse_args()
    settings = Settings(timezone="America/New_York")
    base = args.keep or Path(tempfile.mkdtemp(prefix="tabletime-bench-"))
    results = {}
    for years in args.years:
        folder = base / f"{years}y"
        built = time.perf_counter()
        with Repository.open(folder, SteppingClock(TODAY, timedelta(0)), settings) as repo:
            source = folder.parent / f"{years}y.csv"
            source.write_text(history_csv(years, settings))
            report = import_segments(repo, source)
        build_s = time.perf_counter() - built
        results[years] = measure(folder, settings)
        r = results[years]
        print(f"{years} years: {report.sessions:6d} sessions, {report.segments:6d} segments "
              f"(built in {build_s:5.1f} s) | start p50 {r['start_p50']:.2f} ms "
              f"p95 {r['start_p95']:.2f} ms | stop p50 {r['stop_p50']:.2f} ms "
              f"p95 {r['stop_p95']:.2f} ms | open+recover {r['open_ms']:.1f} ms")
    verdicts = []
    worst = max(r["write_p95"] for r in results.values())
    verdicts.append((f"p95 start/stop under 5 ms at every size (worst {worst:.2f} ms)", worst < 5))
    if 0 in results and 5 in results:
        ratio = results[5]["write_p95"] / results[0]["write_p95"]
        verdicts.append((f"p95 at 5 years within 1.5x of empty ({ratio:.2f}x)", ratio <= 1.5))
        opened = results[5]["open_ms"]
        verdicts.append((f"open and recover at 5 years under 50 ms ({opened:.1f} ms)", opened < 50))
    for text, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
