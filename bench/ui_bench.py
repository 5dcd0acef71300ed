"""UI benchmark: is the app as quick with five years of history as on day one?

Measures, headless (Textual's run_test), on an empty data folder and on one with 5 years of
history (built as in storage_bench.py):
  - launch: opening the folder and building the app until the first screen is interactive,
  - keypress to screen: from a number key posted to the first frame drawn after the switch was
    saved (frames are timed where Textual hands them to the terminal; Pilot's own waiting
    before and after, about 65 ms a key here, is not the app's and is left out).
Budgets (issue 4): launch with 5 years within 1.2 x of empty; switch median under 50 ms.
Prints figures; exits 1 over budget.

    .venv/bin/python bench/ui_bench.py [--runs 7] [--presses 60]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from storage.transfer import import_segments
from storage_bench import TODAY, SteppingClock, history_csv

from core.settings import Settings
from storage.repository import Repository
from tui.app import TabletimeApp, make_app
from tui.screens.session import SessionScreen
from tui.screens.today import TodayScreen

SIZE = (100, 30)


def build(folder: Path, years: int, settings: Settings) -> None:
    with Repository.open(folder, SteppingClock(TODAY, timedelta(0)), settings) as repo:
        source = folder.parent / f"{years}y.csv"
        source.write_text(history_csv(years, settings))
        import_segments(repo, source)


async def launch_once(folder: Path, settings: Settings) -> float:
    clock = SteppingClock(TODAY, timedelta(seconds=1))
    started = time.perf_counter()
    with Repository.open(folder, clock, settings) as repo:
        app = make_app(clock, repo, settings)
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
        app = TimedApp(clock, repo, settings)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--presses", type=int, default=60)
    args = parser.parse_args()
    settings = Settings(timezone="America/New_York")
    base = Path(tempfile.mkdtemp(prefix="tabletime-ui-bench-"))
    results = {}
    for years in (0, 5):
        folder = base / f"{years}y"
        build(folder, years, settings)
        asyncio.run(launch_once(folder, settings))  # warm imports and caches once
        launches = [asyncio.run(launch_once(folder, settings)) for _ in range(args.runs)]
        switches = asyncio.run(switch_latencies(folder, settings, args.presses))
        results[years] = (statistics.median(launches), statistics.median(switches),
                          max(switches))
        print(f"{years} years: launch to first screen median {results[years][0]:.0f} ms | "
              f"switch keypress to screen median {results[years][1]:.1f} ms "
              f"(max {results[years][2]:.1f} ms)")
    ratio = results[5][0] / results[0][0]
    verdicts = [
        (f"launch with 5 years within 1.2x of empty ({ratio:.2f}x)", ratio <= 1.2),
        (f"switch median under 50 ms with 5 years ({results[5][1]:.1f} ms)", results[5][1] < 50),
    ]
    for text, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
