"""Read benchmark: a patient's history, `patient` and `summary` on 5 years of history, cold.

On a copy of the 5-year folder of bench/history.py (about 1,300 visits of the patient REGULAR),
opened once by a writer as the app would (an index of an earlier Tabletime is sealed and its
patient index built then: timed once, apart), in rounds, each taking in turn:
  - `python -c pass`: the baseline every whole-process figure is set beside (the ratio);
  - `tabletime patient REGULAR --json` and `tabletime summary --date D`, whole process, and
    each again in a process that times its imports (the command line's modules) apart from
    its work (the command, models built at their first use included);
  - in a new process, the app (headless) pushing REGULAR's history screen: from the push to the
    first frame with rows in the table, and, until the table is full, the longest stretch the
    UI thread spent away from its event loop (a task that sleeps 1 ms notes each wake): the
    CPU time the UI thread itself spent in it ("UI busy", what this app's code costs), and the
    wall time ("UI away", also the worker holding the interpreter and other processes on a
    shared machine); beside it, the push of a bare screen with a table to its first frame.
Every figure as min / median / max over the rounds. Budgets (medians): `patient` and `summary`
<= 250 ms whole process; history first rows <= 100 ms; the UI thread never busy > 50 ms (the
median of each round's longest stretch; the max is printed too). Exits 1 over budget.

    .venv/bin/python bench/read_bench.py [--runs 7]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from history import SETTINGS, TODAY, Clock, folder_with

PATIENT = "REGULAR"
DAY = (TODAY - timedelta(days=1)).date().isoformat()  # a working day with 20 sessions
BUDGETS = {"patient": 250.0, "summary": 250.0, "first rows": 100.0, "UI busy": 50.0}
ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def tabletime(folder: Path, *args: str) -> list[str]:
    return [str(Path(PYTHON).parent / "tabletime"), "--data-dir", str(folder), *args]


SPLIT = """
import contextlib, io, json, sys, time
started = time.perf_counter(), time.process_time()
import tui.cli.data
from tui.cli.main import main
imported = time.perf_counter(), time.process_time()
with contextlib.redirect_stdout(io.StringIO()):
    main(sys.argv[1:])
done = time.perf_counter(), time.process_time()
print(json.dumps({"imports": (imported[0] - started[0]) * 1000,
                  "work": (done[0] - imported[0]) * 1000,
                  "imports, CPU": (imported[1] - started[1]) * 1000,
                  "work, CPU": (done[1] - imported[1]) * 1000}))
"""
"""A command in-process: its imports, then its work, timed apart (wall, and CPU: what a busy
machine changes least)."""


def commands(folder: Path) -> dict[str, list[str]]:
    return {
        "python -c pass": [PYTHON, "-c", "pass"],
        "patient": tabletime(folder, "patient", PATIENT, "--json"),
        "summary": tabletime(folder, "summary", "--date", DAY),
    }


def split(command: list[str]) -> dict[str, float]:
    """A command's imports and work (ms), from a process that times them apart."""
    done = subprocess.run([PYTHON, "-c", SPLIT, *command[1:]], cwd=ROOT, capture_output=True,
                          check=True)
    figures: dict[str, float] = json.loads(done.stdout.decode().splitlines()[-1])
    return figures


def whole_process(argv: list[str]) -> float:
    """Milliseconds from start to exit; the command must succeed."""
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, check=False)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed: {done.stderr.decode()[-400:]}")
    return elapsed


def history_round(folder: Path) -> dict[str, float]:
    done = subprocess.run([PYTHON, __file__, "--history-child", str(folder)], cwd=ROOT,
                          capture_output=True, check=True)
    figures: dict[str, float] = json.loads(done.stdout.decode().splitlines()[-1])
    return figures


# ---- the history screen, in its own process ------------------------------------------------


async def history_child(folder: Path) -> dict[str, float]:
    from textual.screen import Screen
    from textual.widgets import DataTable

    from storage.repository import Repository
    from tui.app import TabletimeApp
    from tui.screens.history import PatientHistoryScreen

    class Bare(Screen[None]):
        def compose(self) -> Any:
            yield DataTable()

        def on_mount(self) -> None:
            self.query_one(DataTable).add_columns("a", "b")
            self.query_one(DataTable).add_row("1", "2")

    frames: list[tuple[float, Any, int]] = []

    class Timed(TabletimeApp):
        def _display(self, screen: Any, renderable: Any) -> None:
            if renderable is not None:
                rows = screen.query_one(DataTable).row_count if screen.query(DataTable) else 0
                frames.append((time.perf_counter(), screen, rows))
            super()._display(screen, renderable)

    gaps: list[tuple[float, float]] = []

    async def until(test: Any) -> None:
        waited = time.perf_counter()
        while not test():
            if time.perf_counter() - waited > 30:
                raise SystemExit("the history screen did not fill in 30 s")
            await asyncio.sleep(0.001)

    async def watch() -> None:
        """Each stretch the UI thread was away from its event loop: wall and its own CPU."""
        while True:
            wall, cpu = time.perf_counter(), time.thread_time()
            await asyncio.sleep(0.001)
            gaps.append(((time.perf_counter() - wall) * 1000 - 1,
                         (time.thread_time() - cpu) * 1000))

    clock = Clock(TODAY)
    with Repository.open(folder, clock, SETTINGS) as repo:
        app = Timed(clock, repo)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            bare = Bare()
            pushed = time.perf_counter()
            await app.push_screen(bare)
            await until(lambda: any(s is bare for _, s, _ in frames))
            bare_ms = (next(t for t, s, _ in frames if s is bare) - pushed) * 1000
            app.pop_screen()
            await pilot.pause()
            screen = PatientHistoryScreen(PATIENT)
            watcher = asyncio.create_task(watch())
            gaps.clear()
            pushed = time.perf_counter()
            await app.push_screen(screen)
            await until(lambda: screen.ids and any(s is screen and n == len(screen.ids)
                                                   for _, s, n in frames))
            watcher.cancel()
            first = next(t for t, s, n in frames if s is screen and n > 0)
            full = next(t for t, s, n in frames if s is screen and n == len(screen.ids))
            await pilot.press("ctrl+q")
    return {"first rows": (first - pushed) * 1000, "full": (full - pushed) * 1000,
            "UI busy": max(cpu for _, cpu in gaps), "UI away (wall)": max(w for w, _ in gaps),
            "bare screen": bare_ms, "rows": len(screen.ids)}


# ---- the rounds ----------------------------------------------------------------------------


def load() -> str:
    """The machine's load when the figures were taken (other work slows every figure)."""
    return "load average over 1 / 5 / 15 min: " + " / ".join(f"{x:.2f}" for x in os.getloadavg())


def spread(values: list[float]) -> str:
    return (f"{min(values):7.1f} {statistics.median(values):7.1f} {max(values):7.1f}")


def prepare(base: Path) -> tuple[Path, float]:
    """The 5-year folder, opened once by a writer (sealing an earlier index, building the
    patient index): the state the app leaves it in. Returns it and how long that open took."""
    from storage.repository import Repository

    folder = folder_with(5, base / "5y")
    started = time.perf_counter()
    with Repository.open(folder, Clock(TODAY), SETTINGS):
        pass
    return folder, (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--history-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.history_child:
        print(json.dumps(asyncio.run(history_child(args.history_child))))
        return 0
    base = Path(tempfile.mkdtemp(prefix="tabletime-read-bench-"))
    try:
        folder, upgrade_ms = prepare(base)
        return run(folder, args.runs, upgrade_ms)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def run(folder: Path, runs: int, upgrade_ms: float) -> int:
    argv = commands(folder)
    for command in argv.values():  # warm the page cache and the bytecode once
        whole_process(command)
    history_round(folder)
    times: dict[str, list[float]] = {name: [] for name in argv}
    parts: dict[str, list[float]] = {}
    history: dict[str, list[float]] = {}
    for _ in range(runs):  # in turns, so that drift in the machine hits every figure
        for name, command in argv.items():
            times[name].append(whole_process(command))
        for name in ("patient", "summary"):
            for part, value in split(argv[name]).items():
                parts.setdefault(f"{name} {part}", []).append(value)
        for name, value in history_round(folder).items():
            history.setdefault(name, []).append(value)
    return report(times, parts, history, upgrade_ms, runs)


def report(times: dict[str, list[float]], parts: dict[str, list[float]],
           history: dict[str, list[float]], upgrade_ms: float, runs: int) -> int:
    base = times["python -c pass"]
    print(f"5 years of history, {runs} rounds; ms as min / median / max; ratio to "
          f"`python -c pass` of the same round; {load()}\n")
    print(f"{'whole process':34} {'min':>7} {'median':>7} {'max':>7}   ratio (median)")
    for name, values in times.items():
        ratios = [v / b for v, b in zip(values, base, strict=True)]
        print(f"{name:34} {spread(values)}   {statistics.median(ratios):5.1f}x")
    print("\nin-process, the same commands split")
    for name, values in parts.items():
        print(f"{name:34} {spread(values)}")
    rows = int(history.pop("rows")[0])
    print(f"\nhistory screen of {PATIENT} ({rows:,} visits), in-process after the push")
    for name, values in history.items():
        print(f"{name:34} {spread(values)}")
    ratio = statistics.median(history["first rows"]) / statistics.median(history["bare screen"])
    print(f"  first rows = {ratio:.1f}x a bare screen's first frame")
    print(f"\nfirst open by a writer (an earlier index sealed, the patient index built, once): "
          f"{upgrade_ms:.0f} ms\n")
    medians = {"patient": statistics.median(times["patient"]),
               "summary": statistics.median(times["summary"]),
               "first rows": statistics.median(history["first rows"]),
               "UI busy": statistics.median(history["UI busy"])}
    ok = True
    for name, budget in BUDGETS.items():
        passed = medians[name] <= budget
        ok &= passed
        print(f"{'PASS' if passed else 'FAIL'}  {name} median {medians[name]:.0f} ms "
              f"<= {budget:.0f} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
