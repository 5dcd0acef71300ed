"""Data folders with years of history, written the way the app writes them, for the benchmarks.

Every session goes through the repository's commands (create, timers switched with `start`,
a pause, a note now and then, close), so each day file has its audit trail and the index is
derived as in use. Only fsync is skipped while building (the files are byte for byte what the
app writes; durability is not what is being built). A clinic's mix: new patients every week,
each seen 10 to 30 times, one to three times a week; Medicare, Medicaid and commercial payers;
one patient ("REGULAR") seen every working day, for a long history screen. Today is a
Wednesday. Built folders are kept in a cache folder and copied (hard links: the app replaces
files, never changes them in place) for each run.

    .venv/bin/python bench/history.py --years 1 5      # build (or find) them, print where
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from core.settings import Settings
from storage.repository import Repository

TODAY = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # a Wednesday, 09:00 in New York
SETTINGS = Settings(therapist="Bench Therapist", credentials="PT, DPT",
                    timezone="America/New_York")
SESSIONS_PER_DAY = 20
TIMED = ("97110", "97140", "97530", "97112", "97116", "97535")
PAYERS = ("Medicare",) * 6 + ("Commercial",) * 3 + ("Medicaid",)
VERSION = 1  # change when what is built changes: the cache is keyed by it
CACHE = Path(tempfile.gettempdir()) / "tabletime-bench"


class Clock:
    """The bench's clock: set by the builder, read by the repository."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def without_fsync() -> Iterator[None]:
    real = os.fsync
    os.fsync = lambda fd: None
    try:
        yield
    finally:
        os.fsync = real


def working_days(years: int) -> list[date]:
    today = TODAY.astimezone(SETTINGS.zone).date()
    first = today - timedelta(days=round(365.25 * years))
    return [first + timedelta(days=n) for n in range((today - first).days)
            if (first + timedelta(days=n)).weekday() < 5]


class Patients:
    """New patients every week, each with a number of visits to come."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.left: dict[str, int] = {}
        self.payer: dict[str, str] = {}
        self.count = 0

    def for_day(self, size: int) -> list[str]:
        while sum(1 for n in self.left.values() if n > 0) < size * 2:
            self.count += 1
            name = f"MRN-{self.count:05d}"
            self.left[name] = self.rng.randint(10, 30)
            self.payer[name] = self.rng.choice(PAYERS)
        waiting = [p for p, n in self.left.items() if n > 0]
        chosen = self.rng.sample(waiting, size)
        for patient in chosen:
            self.left[patient] -= 1
            if not self.left[patient]:
                del self.left[patient]
        return chosen


def clinic_day(repo: Repository, clock: Clock, day: date, patients: list[str],
               payers: dict[str, str], rng: random.Random) -> None:
    """One working day: back-to-back sessions from 8:00, timers switched as at the table."""
    zone = SETTINGS.zone
    clock.now = datetime(day.year, day.month, day.day, 8, 0, tzinfo=zone).astimezone(UTC)
    for patient in ["REGULAR", *patients]:
        session = repo.commands.create_session(patient, payers.get(patient, "Medicare"))
        for code in rng.sample(TIMED, rng.randint(3, 5)):
            repo.commands.start(session.id, code)
            clock.now += timedelta(minutes=rng.randint(4, 8), seconds=rng.randint(0, 59))
        if rng.random() < 0.2:
            segment = repo.queries.segments_of(session.id)[-1]
            repo.commands.edit_segment(session.id, segment.id, note="gait belt, 150 ft x2",
                                       reason="note")
        repo.commands.stop(session.id)
        clock.now += timedelta(minutes=2)
        repo.commands.close_session(session.id)
        clock.now += timedelta(minutes=1)


def build(folder: Path, years: int, seed: int = 20261125) -> None:
    rng = random.Random(seed)
    patients = Patients(rng)
    clock = Clock(TODAY)
    started = time.perf_counter()
    with without_fsync(), Repository.open(folder, clock, SETTINGS) as repo:
        for number, day in enumerate(working_days(years), start=1):
            clinic_day(repo, clock, day, patients.for_day(SESSIONS_PER_DAY - 1),
                       patients.payer, rng)
            if number % 100 == 0:
                print(f"  {number} days, {time.perf_counter() - started:.0f} s", flush=True)


def folder_with(years: int, into: Path) -> Path:
    """A copy of a data folder with `years` of history (built once, then taken from the
    cache), at `into`."""
    cached = CACHE / f"v{VERSION}-{years}y"
    if not cached.exists():
        started = time.perf_counter()
        partial = cached.with_name(cached.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        if years:
            build(partial, years)
        else:
            partial.mkdir(parents=True)
        partial.rename(cached)
        print(f"built {years} years of history in {time.perf_counter() - started:.0f} s "
              f"({cached})", flush=True)
    shutil.rmtree(into, ignore_errors=True)
    shutil.copytree(cached, into, copy_function=os.link)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, nargs="+", default=[1, 5])
    args = parser.parse_args()
    for years in args.years:
        target = Path(tempfile.mkdtemp(prefix="tabletime-history-")) / f"{years}y"
        folder_with(years, target)
        days = len(list((target / "days").glob("*/*.json")))
        print(f"{years} years: {days} day files in {target}")


if __name__ == "__main__":
    main()
