"""Storage benchmark: does every durable change cost the same after five years as on day one,
and how close is it to what the disk itself costs?

On copies of data folders with 0, 1 and 5 years of history written through the repository
(bench/history.py), in rounds that take the sizes in a shuffled order each time, it times a
long clinic day on a Wednesday: opening the folder and recovering open sessions, creating 40
sessions, every timer switch (`start`: stop one code, start the next, one line appended to the
day's journal), the pause, and the close (the day file written whole), wall time and the
process's CPU time. In the same rounds it times the physical floors: appending a line of a
start's size to a file and fsyncing it (what a start does), and writing a file the size of
today's day file, fsync, rename, fsync of the folder (what a close does). Then, on the 5-year
folder: the index derived again from every day file, a backup and a restore.

Budgets: start and stop p95 within 3x the floor's p95 (write, fsync, rename, fsync of the
folder, as issue 18 defines it; the ratio to a bare append+fsync is printed too); the CPU of a start
flat (the 40th session of the day within 1.5x the first; 5 years within 1.2x of empty); open
and recover under 50 ms at 5 years. Prints min / median / max; exits 1 over budget.

    .venv/bin/python bench/storage_bench.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from history import SETTINGS, TODAY, Clock, folder_with

from storage.journal import journal_path
from storage.repository import Repository

T = TypeVar("T")
SIZES = (0, 1, 5)
CODES = ("97110", "97140", "97530", "97112", "97116")


def timed(samples: dict[str, list[float]], name: str, action: Callable[[], T]) -> T:
    """Run `action`, noting its wall time in `samples[name]` and its CPU in `name + _cpu`."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    samples.setdefault(f"{name}_cpu", []).append((time.process_time() - cpu) * 1000)
    samples.setdefault(name, []).append((time.perf_counter() - wall) * 1000)
    return result


def append_floor(folder: Path, size: int, samples: dict[str, list[float]]) -> None:
    """What appending `size` bytes to a file and fsyncing it costs on this disk, bare."""
    target = folder / "floor.log"
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        for _ in range(10):
            started = time.perf_counter()
            os.write(fd, os.urandom(size))
            os.fsync(fd)
            samples.setdefault("append_floor", []).append((time.perf_counter() - started) * 1000)
    finally:
        os.close(fd)
    target.unlink()


def floor(folder: Path, size: int, samples: dict[str, list[float]]) -> None:
    """What a durable replacement of a file of `size` bytes costs on this disk, bare."""
    data = os.urandom(size)
    target = folder / "floor.bin"
    for _ in range(5):
        started = time.perf_counter()
        temp = folder / ".floor.tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        os.replace(temp, target)
        dfd = os.open(folder, os.O_RDONLY)
        os.fsync(dfd)
        os.close(dfd)
        samples.setdefault("floor", []).append((time.perf_counter() - started) * 1000)
    target.unlink()


SESSIONS = 40
WATCHED = (1, 20, 40)
"""The sessions of the day whose starts' CPU is compared, each with the one before and after
it (the first: the first three), so that each figure has enough samples."""


def morning(folder: Path, samples: dict[str, list[float]]) -> None:
    """Open the folder (two sessions left running), then 40 sessions of a long clinic day."""
    clock = Clock(TODAY)
    with Repository.open(folder, clock, SETTINGS) as repo:
        for patient in ("OPEN-1", "OPEN-2"):
            repo.commands.start(repo.commands.create_session(patient, "Medicare").id, "97010")
    clock.now += timedelta(minutes=1)
    repo = timed(samples, "open", lambda: Repository.open(folder, clock, SETTINGS))
    assert len(repo.queries.running_segments()) == 2
    line = 0
    for slot in range(SESSIONS):
        clock.now += timedelta(minutes=2)
        session = timed(samples, "create",
                        lambda slot=slot: repo.commands.create_session(f"T{slot:03d}",
                                                                        "Medicare"))
        for code in CODES:
            clock.now += timedelta(minutes=6)
            journal = journal_path(repo.store.day_path(session.date_of_service))
            before = journal.stat().st_size if journal.exists() else 0
            timed(samples, "start",
                  lambda code=code, session=session: repo.commands.start(session.id, code))
            if before and journal.exists():
                line = max(line, journal.stat().st_size - before)
            for n in WATCHED:
                if abs(slot + 1 - min(max(n, 2), SESSIONS - 1)) <= 1:
                    samples.setdefault(f"start_cpu_{n}", []).append(samples["start_cpu"][-1])
        clock.now += timedelta(minutes=1)
        timed(samples, "stop", lambda session=session: repo.commands.stop(session.id))
        timed(samples, "close",
              lambda session=session: repo.commands.close_session(session.id))
    today = repo.store.day_path(repo.local(clock.now).date())
    repo.close()
    floor(folder, today.stat().st_size, samples)
    append_floor(folder, line, samples)


def p50(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> str:
    return f"{min(values):7.2f} / {p50(values):7.2f} / {max(values):7.2f}"


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def child_figures(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of a child process (the kernel's own accounting)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode:
        raise RuntimeError(f"{command}: {process.stderr.read().decode() if process.stderr else ''}")
    return wall, usage.ru_maxrss / 1024


def five_year_tasks(base: Path) -> None:
    folder = folder_with(5, base / "tasks")
    days = len(list((folder / "days").glob("*/*.json")))
    shutil.rmtree(folder / "index")
    started = time.perf_counter()
    Repository.open(folder, Clock(TODAY), SETTINGS).close()
    print(f"index derived again from {days} day files: {time.perf_counter() - started:.1f} s")
    tabletime = str(Path(sys.executable).with_name("tabletime"))
    archive = base / "backup.tar.gz"
    wall, rss = child_figures([tabletime, "--data-dir", str(folder), "backup", str(archive)])
    print(f"backup of 5 years: {wall:.1f} s, peak {rss:.0f} MB, "
          f"{archive.stat().st_size / 1e6:.1f} MB archive")
    wall, rss = child_figures([tabletime, "--data-dir", str(base / "restored"), "restore",
                               str(archive)])
    print(f"restore of 5 years: {wall:.1f} s, peak {rss:.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-tasks", action="store_true",
                        help="leave out the 5-year derive, backup and restore")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="tabletime-storage-bench-"))
    results: dict[int, dict[str, list[float]]] = {size: {} for size in SIZES}
    order = list(SIZES)
    rng = random.Random(7)
    for round_ in range(args.rounds):
        rng.shuffle(order)
        for size in order:
            folder = folder_with(size, base / f"{size}y-{round_}")
            morning(folder, results[size])
            shutil.rmtree(folder)
    print("milliseconds, min / median / max over every sample of every round")
    for size in SIZES:
        r = results[size]
        print(f"{size}y of history:")
        for name in ("append_floor", "start", "floor", "stop", "create", "close", "open",
                     *(f"start_cpu_{n}" for n in WATCHED)):
            print(f"  {name:>14}  {spread(r[name])}   p95 {p95(r[name]):6.2f}")
    if not args.no_tasks:
        five_year_tasks(base)
    verdicts = []
    for size in SIZES:
        r = results[size]
        for name in ("start", "stop"):
            ratio = p95(r[name]) / p95(r["floor"])
            bare = p95(r[name]) / p95(r["append_floor"])
            verdicts.append((f"{size}y: {name} p95 within 3x the write+fsync+rename+dir-fsync "
                             f"floor's p95 ({ratio:.2f}x; {bare:.2f}x a bare append+fsync, "
                             "which its CPU dominates)", ratio <= 3))
        for n in WATCHED[1:]:
            flat = p50(r[f"start_cpu_{n}"]) / p50(r["start_cpu_1"])
            verdicts.append((f"{size}y: start CPU of the {n}th session within 1.5x of the 1st "
                             f"({flat:.2f}x)", flat <= 1.5))
    across = p50(results[5]["start_cpu"]) / p50(results[0]["start_cpu"])
    verdicts.append((f"start CPU at 5 years within 1.2x of empty ({across:.2f}x)",
                     across <= 1.2))
    opened = p50(results[5]["open"])
    verdicts.append((f"open and recover at 5 years under 50 ms ({opened:.1f} ms)", opened < 50))
    for text, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    shutil.rmtree(base, ignore_errors=True)
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
