"""Import and export benchmark, whole process: `tabletime import` and `tabletime export` run as
child processes, each timed (wall) with its peak memory (the kernel's accounting), beside
`python -c pass` run the same way in the same rounds.

Segments CSV files are generated once (40 sessions a working day, five segments of 3 to 7
minutes each, back from two days ago): 100,000 rows from a returning pool of patients and
100,000 rows with a new patient every session, and 1,000,000 rows of the pool. Each round
runs, in turn for each file, an import into an empty folder, the same import again
(everything already stored), and an export of the whole folder; then the claim lines of one
year exported from the 5-year folder of bench/history.py. Rounds interleave the sizes, so a
busy machine slows each alike. Prints min / median / max of each figure and the ratio of
its median to the baseline's; exits 1 when a median is over its budget.

The files and folders are made by a child process too: a child's peak memory counts the
parent it was forked from, so this process loads nothing of Tabletime.

Budgets: import of 1,000,000 rows < 60 s and < 300 MB; 100,000 rows with a new patient every
session within 1.2x of the returning pool; export of 1,000,000 rows < 30 s; the claim lines
of a year <= 1 s.

    .venv/bin/python bench/transfer_bench.py [--rounds 3] [--large 1000000]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

PER_DAY = 40
SEGMENTS = ("97110", "97140", "97530", "97112", "97116")
SMALL = 100_000
POOL = f"{SMALL:,} rows, a returning pool"
NEW = f"{SMALL:,} rows, a new patient every session"
BASELINE = "python -c pass"
LINES = "export --kind lines, a year of the 5-year folder"
TABLETIME = str(Path(sys.executable).with_name("tabletime"))
Figure = tuple[float, float, float]
"""Wall seconds, peak resident MB and CPU seconds (user and system) of one child process:
the CPU beside the wall says how much of it a busy machine took."""


def large(rows: int) -> str:
    return f"{rows:,} rows, a returning pool"


# ---- made once, in a child ---------------------------------------------------------------

def prepare(base: Path, rows: int) -> None:
    """The three segments files, an empty folder with the clinic's settings, and the 5-year
    folder opened once by a writer (its index as the app leaves it: a reader would derive an
    outdated one again at every export); what to run, in base/plan.json."""
    from history import SETTINGS, TODAY, Clock, folder_with

    from core.formats.segments_csv import COLUMNS
    from storage.atomic import ensure_private_dir
    from storage.repository import Repository
    from storage.settings_file import save_settings

    sources = {POOL: (SMALL, False), NEW: (SMALL, True), large(rows): (rows, False)}
    for number, (count, distinct) in enumerate(sources.values()):
        write_csv(base / f"{number}.csv", COLUMNS, count, distinct, SETTINGS.zone)
    ensure_private_dir(base / "empty")
    save_settings(base / "empty", SETTINGS)  # the clinic's zone, which dates of service follow
    history = folder_with(5, base / "history")
    save_settings(history, SETTINGS)
    with Repository.open(history, Clock(TODAY), SETTINGS):
        pass
    plan = {"sources": {name: str(base / f"{n}.csv") for n, name in enumerate(sources)},
            "year": TODAY.astimezone(SETTINGS.zone).year - 1}
    (base / "plan.json").write_text(json.dumps(plan))


def write_csv(path: Path, columns: tuple[str, ...], rows: int, distinct: bool, zone: tzinfo
              ) -> None:
    """`rows` segment rows, newest day two days ago (the real one: the command line imports
    nothing from the future), going back one working day at a time."""
    day = datetime.now(UTC).astimezone(zone).date() - timedelta(days=2)
    written = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        while written < rows:
            if day.weekday() < 5:
                found = _day(day, distinct, zone)[:rows - written]
                writer.writerows(found)
                written += len(found)
            day -= timedelta(days=1)


def _day(day: date, distinct: bool, zone: tzinfo) -> list[list[object]]:
    """A day's sessions from 6:00, each five segments of 3 to 7 minutes (as varied as at the
    table: few exact ties)."""
    begin = datetime(day.year, day.month, day.day, 6, 0, tzinfo=zone)
    rows: list[list[object]] = []
    for slot in range(PER_DAY):
        session = uuid.uuid5(uuid.NAMESPACE_URL, f"{day}/{slot}")
        patient = f"N{session.hex[:10]}" if distinct else f"P{(day.toordinal() + slot) % 300:04d}"
        for part, code in enumerate(SEGMENTS):
            length = timedelta(minutes=3 + (slot + part * 3) % 5, seconds=(slot * 7) % 60)
            rows.append([session, day.isoformat(), patient, "Medicare", "cms", "PT", code,
                         begin.isoformat(), (begin + length).isoformat(),
                         int(length.total_seconds()), "therapist", ""])
            begin += length
    return rows


# ---- timed, as child processes ------------------------------------------------------------

def child(command: list[str]) -> Figure:
    """Wall seconds, peak resident MB and CPU seconds of a child process (the kernel's
    accounting)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        error = process.stderr.read().decode() if process.stderr else ""
        raise RuntimeError(f"{command} failed: {error}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def transfer(base: Path, source: str) -> dict[str, Figure]:
    """Import into an empty folder, import again, export: one round for one file."""
    folder = base / "data"
    shutil.copytree(base / "empty", folder)
    out = base / "out.csv"
    figures = {
        "import": child([TABLETIME, "--data-dir", str(folder), "import", source]),
        "again": child([TABLETIME, "--data-dir", str(folder), "import", source]),
        "export": child([TABLETIME, "--data-dir", str(folder), "export", "--out", str(out)]),
    }
    shutil.rmtree(folder)
    out.unlink()
    return figures


def year_of_lines(base: Path, year: int) -> Figure:
    """The claim lines of the last whole year of the 5-year folder."""
    out = base / "lines.csv"
    figure = child([TABLETIME, "--data-dir", str(base / "history"), "export", "--kind",
                    "lines", "--from", f"{year}-01-01", "--to", f"{year}-12-31", "--out",
                    str(out)])
    out.unlink()
    return figure


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--large", type=int, default=1_000_000,
                        help="rows of the large file (the budgets are for 1,000,000)")
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare, args.large)
        return 0
    base = Path(tempfile.mkdtemp(prefix="tabletime-transfer-bench-"))
    child([sys.executable, __file__, "--prepare", str(base), "--large", str(args.large)])
    plan = json.loads((base / "plan.json").read_text())
    figures: dict[str, list[Figure]] = {}
    for round_ in range(1, args.rounds + 1):
        figures.setdefault(BASELINE, []).append(child([sys.executable, "-c", "pass"]))
        for name, source in plan["sources"].items():
            for step, figure in transfer(base, source).items():
                figures.setdefault(f"{step}, {name}", []).append(figure)
        figures.setdefault(LINES, []).append(year_of_lines(base, plan["year"]))
        print(f"round {round_} of {args.rounds} done", flush=True)
    shutil.rmtree(base, ignore_errors=True)
    return report(figures, args.large)


def spread(values: list[float], unit: str, baseline: float | None = None) -> str:
    """`min / median / max unit (ratio x the baseline's median)`."""
    low, mid, high = min(values), statistics.median(values), max(values)
    ratio = f" ({mid / baseline:,.0f}x {BASELINE})" if baseline else ""
    return f"{low:,.2f} / {mid:,.2f} / {high:,.2f} {unit}{ratio}"


def printed(figures: dict[str, list[Figure]]) -> Callable[..., float]:
    """Print every command's wall time, peak memory and CPU (min / median / max, wall time
    beside the baseline's); return the median of a named figure: median(name, which=0..2)."""
    def median(name: str, which: int = 0) -> float:
        return statistics.median(figure[which] for figure in figures[name])

    floor = median(BASELINE)
    print(f"\nwhole process, {len(figures[BASELINE])} rounds, min / median / max:")
    for name, found in figures.items():
        print(f"  {name}: {spread([w for w, _, _ in found], 's', floor)}; "
              f"peak {spread([m for _, m, _ in found], 'MB')}; "
              f"CPU {spread([c for _, _, c in found], 's')}")
    return median


def verdict(verdicts: list[tuple[str, bool]]) -> int:
    """PASS or FAIL per budget; the exit status: 1 when one is over."""
    for text, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return 0 if all(ok for _, ok in verdicts) else 1


def report(figures: dict[str, list[Figure]], rows: int) -> int:
    median = printed(figures)
    wall, peak = median(f"import, {large(rows)}"), median(f"import, {large(rows)}", which=1)
    ratio = median(f"import, {NEW}") / median(f"import, {POOL}")
    exported = median(f"export, {large(rows)}")
    verdicts = [
        (f"import of {rows:,} rows < 60 s ({wall:.1f} s; CPU "
         f"{median(f'import, {large(rows)}', which=2):.1f} s)", wall < 60),
        (f"import of {rows:,} rows < 300 MB ({peak:.0f} MB)", peak < 300),
        (f"a new patient every session within 1.2x of a returning pool ({ratio:.2f}x)",
         ratio <= 1.2),
        (f"export of {rows:,} rows < 30 s ({exported:.1f} s)", exported < 30),
        (f"the claim lines of a year <= 1 s ({median(LINES):.2f} s)", median(LINES) <= 1),
    ]
    return verdict(verdicts)


if __name__ == "__main__":
    raise SystemExit(main())
