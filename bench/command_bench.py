"""Commands as whole processes (issue 18): `tabletime units`, `patient REF --json`, `summary
--date D` on five years of history (bench/history.py, opened once by a writer first) and
`--version`, each started from nothing as a shell starts it (the installed `tabletime`
script, compiled modules), timed from the spawn to its exit, with its CPU (user + system).

In every round, in turn, the two baselines of the same machine at that moment: `python -c
pass` (an interpreter's start) and `python -c "import textual.app"` (what any Textual program
pays before its first frame). Figures are min / median / max over the rounds after a warm-up
round; the ratios are of the medians, and of each round's pair (median of the pairs).
Budgets (issue 18, medians): units < 150 ms; patient --json and summary <= 250 ms. Prints
figures; exits 1 over budget.

    .venv/bin/python bench/command_bench.py [--runs 11] [--quick]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import history
from read_bench import load

PATIENT = "REGULAR"
"""Seen every working day of the five years (bench/history.py): the longest history."""
BUDGETS_MS = {"units": 150.0, "patient --json": 250.0, "summary": 250.0}
BASELINES = {"python -c pass": [sys.executable, "-c", "pass"],
             "import textual.app": [sys.executable, "-c", "import textual.app"]}


@dataclass(frozen=True)
class Run:
    wall: float
    """Milliseconds from the spawn to the exit."""
    cpu: float
    """Milliseconds of CPU, user and system."""


def prepare(base: Path) -> Path:
    """The 5-year folder, opened once by a writer as the app would open it (an index of an
    earlier Tabletime is sealed then): what the commands read is what they find in use."""
    from storage.repository import Repository

    folder = history.folder_with(5, base / "5y")
    with Repository.open(folder, history.Clock(history.TODAY), history.SETTINGS):
        pass
    return folder


def commands(folder: Path) -> dict[str, list[str]]:
    """What is timed: every command on the five years' folder, as a user types it."""
    tabletime = str(Path(sys.executable).parent / "tabletime")
    last_day = history.working_days(5)[-1]
    return {
        "units": [tabletime, "units", "97110=33", "97140=7"],
        "patient --json": [tabletime, "--data-dir", str(folder), "patient", PATIENT, "--json",
                           "--year", str(last_day.year)],
        "summary": [tabletime, "--data-dir", str(folder), "summary", "--date",
                    last_day.isoformat()],
        "--version": [tabletime, "--version"],
    }


def run_once(argv: list[str]) -> Run:
    """One whole process; its output is thrown away, a failure stops the bench."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: compiled modules (feel_bench.py)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                          check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{' '.join(argv[1:])}: exit {done.returncode}: "
                         f"{done.stderr.decode(errors='replace')[-400:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall * 1000, cpu * 1000)


def rounds(timed: dict[str, list[str]], runs: int) -> dict[str, list[Run]]:
    """Every command and baseline in turn, `runs` rounds after a warm-up one."""
    results: dict[str, list[Run]] = {name: [] for name in timed}
    for number in range(runs + 1):
        for name, argv in timed.items():
            run = run_once(argv)
            if number:
                results[name].append(run)
    return results


def report(results: dict[str, list[Run]]) -> list[tuple[str, bool]]:
    """The table, the ratios, and a verdict per budget."""
    base = results["python -c pass"]
    textual = results["import textual.app"]

    def median(runs: list[Run]) -> float:
        return statistics.median(r.wall for r in runs)

    print(f"\n{load()}")
    print(f"\n{'whole process, ms':<20}{'median':>8}{'min':>7}{'max':>7}{'cpu':>6}"
          f"{'/ pass':>8}{'pairs':>7}{'/ textual':>11}{'budget':>8}")
    verdicts = []
    for name, runs in results.items():
        walls = [r.wall for r in runs]
        pairs = statistics.median(r.wall / b.wall for r, b in zip(runs, base, strict=True))
        budget = BUDGETS_MS.get(name)
        print(f"{name:<20}{median(runs):8.0f}{min(walls):7.0f}{max(walls):7.0f}"
              f"{statistics.median(r.cpu for r in runs):6.0f}"
              f"{median(runs) / median(base):7.1f}x{pairs:6.1f}x"
              f"{median(runs) / median(textual):10.2f}x"
              + (f"{budget:8.0f}" if budget else f"{'-':>8}"))
        if budget:
            verdicts.append((f"{name}: median {median(runs):.0f} ms <= {budget:.0f} ms",
                             median(runs) <= budget))
    print()
    for text, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="rounds after the warm-up")
    parser.add_argument("--quick", action="store_true", help="3 rounds: a smoke run")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="tabletime-command-bench-"))
    try:
        folder = prepare(base)
        results = rounds({**BASELINES, **commands(folder)}, 3 if args.quick else args.runs)
        verdicts = report(results)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
