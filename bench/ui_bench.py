"""UI benchmark: is the app as quick with five years of history as on day one?

Measures, headless (Textual's run_test), on copies of an empty data folder and of one with 5
years of history written through the repository (bench/history.py), taken in turns:
  - launch: opening the folder and building the app until the first screen is interactive,
  - keypress to screen: from a number key posted to the first frame drawn after the switch was
    saved (frames are timed where Textual hands them to the terminal; Pilot's own waiting
    before and after, about 65 ms a key here, is not the app's and is left out),
  - the history screen of a patient seen every working day (about 1,300 visits), from the key
    to the table filled (read in a worker: the timers keep ticking meanwhile).
Budgets: launch with 5 years within 1.2x of empty; switch median under 35 ms; history under
300 ms. Prints figures; exits 1 over budget.

    .venv/bin/python bench/ui_bench.py [--runs 7] [--presses 60]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from history import TODAY, folder_with

from core.settings import Settings
from storage.repository import Repository
from tui.app import TabletimeApp, make_app
from tui.screens.history import PatientHistoryScreen
from tui.screens.session import SessionScreen
from tui.screens.today import TodayScreen

SIZE = (100, 30)


class SteppingClock:
    """Moves on by `step` at each reading, so that every write happens at a new instant."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


async def launch_once(folder: Path, settings: Settings) -> float:
    clock = SteppingClock(TODAY, timedelta(seconds=1))
    started = time.perf_counter()
    with Repository.open(folder, clock, settings) as repo:
        app = make_app(clock, repo)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, TodayScreen)
            elapsed = time.perf_counter() - started
            await pilot.press("ctrl+q")
    return elapsed * 1000


class TimedApp(TabletimeApp):
    """The app, noting when each frame is handed to the terminal and when each switch saved."""

    frames: list[float]
    saved: list[float]

    def _display(self, screen, renderable):  # type: ignore[no-untyped-def]
        if renderable is not None:
            self.frames.append(time.perf_counter())
        super()._display(screen, renderable)


async def switch_latencies(folder: Path, settings: Settings, presses: int) -> list[float]:
    clock = SteppingClock(TODAY + timedelta(hours=10), timedelta(seconds=2))
    timings = []
    with Repository.open(folder, clock, settings) as repo:
        session = repo.commands.create_session("BENCH", "Medicare")
        app = TimedApp(clock, repo)
        app.frames, app.saved = [], []
        async with app.run_test(size=SIZE) as pilot:
            app.open_session(session.id)
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, SessionScreen)
            real_start = screen.start

            def start(code: str) -> None:
                real_start(code)
                app.saved.append(time.perf_counter())

            screen.start = start  # type: ignore[method-assign]
            for index in range(presses):
                key = "1234"[index % 4]
                posted = time.perf_counter()
                await pilot.press(key)
                await pilot.pause()
                saved = app.saved[-1]
                frame = next(t for t in app.frames if t >= saved)
                timings.append((frame - posted) * 1000)
            await pilot.press("space", "ctrl+q")
        repo.commands.close_session(session.id, stop_running=True)
    return timings


async def history_load(folder: Path, settings: Settings) -> tuple[float, int]:
    clock = SteppingClock(TODAY, timedelta(seconds=1))
    with Repository.open(folder, clock, settings) as repo:
        app = make_app(clock, repo)
        async with app.run_test(size=SIZE) as pilot:
            started = time.perf_counter()
            screen = PatientHistoryScreen("REGULAR")
            await app.push_screen(screen)
            await app.workers.wait_for_complete()
            await pilot.pause()
            elapsed = time.perf_counter() - started
            rows = len(screen.ids)
            await pilot.press("ctrl+q")
    return elapsed * 1000, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--presses", type=int, default=60)
    args = parser.parse_args()
    from history import SETTINGS as settings

    base = Path(tempfile.mkdtemp(prefix="tabletime-ui-bench-"))
    folders = {years: folder_with(years, base / f"{years}y") for years in (0, 5)}
    for folder in folders.values():
        asyncio.run(launch_once(folder, settings))  # warm imports and the page cache once
    launches: dict[int, list[float]] = {0: [], 5: []}
    for _ in range(args.runs):
        for years in (0, 5):  # taken in turns, so that drift in the machine hits both
            launches[years].append(asyncio.run(launch_once(folders[years], settings)))
    results = {}
    for years in (0, 5):
        switches = asyncio.run(switch_latencies(folders[years], settings, args.presses))
        results[years] = (statistics.median(launches[years]), statistics.median(switches),
                          max(switches))
        print(f"{years} years: launch to first screen median {results[years][0]:.0f} ms | "
              f"switch keypress to screen median {results[years][1]:.1f} ms "
              f"(max {results[years][2]:.1f} ms)")
    history_ms, visits = asyncio.run(history_load(folders[5], settings))
    print(f"5 years: history of {visits:,} visits on screen in {history_ms:.0f} ms")
    ratio = results[5][0] / results[0][0]
    verdicts = [
        (f"launch with 5 years within 1.2x of empty ({ratio:.2f}x)", ratio <= 1.2),
        (f"switch median under 35 ms with 5 years ({results[5][1]:.1f} ms)", results[5][1] < 35),
        (f"history of {visits:,} visits under 300 ms ({history_ms:.0f} ms)", history_ms < 300),
    ]
    for text, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
