"""UI benchmark: is the app as quick with five years of history as on day one?

Headless (Textual's run_test), frames timed where Textual hands them to the terminal, each
encoded into the escape codes a terminal would get (feel_bench.Frames), on copies of an
empty data folder and of one with 5 years of history written through the repository
(bench/history.py):
  - launch: opening the folder and building the app until the first screen is interactive,
    empty and 5 years taken in turns,
  - switch: in a session of the 5-year folder, a number key (1 to 4 in turn: each a code
    switch, saved to disk) to the first frame that shows it: the switch saved and drawn,
    its new row selected and scrolled into view. The key is posted as the terminal driver
    posts it (no Pilot in between), GAP seconds after the last frame; a new session each
    round, its table growing to --presses rows (past 22 at this size, each switch scrolls
    it). Beside the wall time, the app thread's CPU from the key to that frame (steadier
    on a shared machine). In the same rounds, the baseline: a bare Textual app's key to
    its frame (its key changes one Static),
  - tick: the running timer's second (SessionScreen.tick, what its interval calls), in that
    session with a code running: the lines it repaints (each line a widget renders again
    rather than takes from its cache), and its time and CPU to its frame; in the same
    rounds, the bare app's one Static changed,
Budgets (issue 18): switch median <= 16 ms and p95 <= 35 ms (wall); a tick repaints the live
line and the running codes' times, nothing else; launch with 5 years within 1.2x of empty.
The history screen's budgets (first rows, the UI never busy long) are bench/read_bench.py's.
Prints min / median / p95 / max; exits 1 over budget.

    .venv/bin/python bench/ui_bench.py [--rounds 5] [--presses 24] [--ticks 10] [--runs 7]
                                       [--only launch|switch]   (tick: with switch)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from feel_bench import Frames, wait_for
from history import SETTINGS, TODAY, folder_with
from textual import events
from textual._styles_cache import StylesCache
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from core.settings import Settings
from storage.repository import Repository
from tui.app import make_app
from tui.screens.session import SessionScreen
from tui.screens.today import TodayScreen
from tui.widgets.code_tile import CodeTile
from tui.widgets.segment_table import SegmentTable

SIZE = (100, 30)
GAP = 0.15
"""Seconds between a key's frame and the next key (a therapist's keys are seconds apart)."""
SWITCH_MEDIAN_MS, SWITCH_P95_MS = 16.0, 35.0
LAUNCH_RATIO = 1.2


class SteppingClock:
    """Moves on by `step` at each reading, so that every write happens at a new instant."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


# ---- launch -----------------------------------------------------------------------------------

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


# ---- switch and tick -------------------------------------------------------------------------

class Bare(App[None]):
    """The baseline: the least a Textual app does to show a key, one Static changed."""

    BINDINGS: ClassVar = [Binding(key, f"show('key {key}')") for key in "1234"]
    handled = 0.0

    def compose(self) -> ComposeResult:
        yield Static("no key yet", markup=False)

    def action_show(self, text: str) -> None:
        self.query_one(Static).update(text)
        self.handled = time.perf_counter()


class Repainted:
    """Every line a widget renders again (not taken from its cache) while `on`: (widget, y)."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, int]] = []
        self.on = False
        real = StylesCache.render_widget
        this = self

        def render_widget(cache: StylesCache, widget: Any, crop: Any) -> Any:
            if this.on:
                this.lines += [(widget.id or type(widget).__name__, y)
                               for y in crop.line_range
                               if y in cache._dirty_lines or y not in cache._cache]
            return real(cache, widget, crop)

        StylesCache.render_widget = render_widget  # type: ignore[method-assign]


@dataclass
class Figures:
    times: dict[str, list[tuple[float, float]]] = field(
        default_factory=lambda: {name: [] for name in TIMED})
    """Per what was timed: (ms from the key or change to its frame, ms of the app thread's
    CPU meanwhile), one pair each time."""
    tick_lines: list[frozenset[tuple[str, int]]] = field(default_factory=list)
    timer_lines: list[frozenset[tuple[str, int]]] = field(default_factory=list)
    """Per tick, what a timer shows: the header's live line and the running codes' times."""


TIMED = ("bare app: a key", "code switch", "bare app: a Static", "the timer's second")


def frames_showing(app: App[Any], frames: Frames, shows: Callable[[], bool]
                   ) -> list[tuple[float, float]]:
    """The frames drawn while `shows()` held: when (as `frames` logs it), and the app
    thread's CPU time then."""
    times: list[tuple[float, float]] = []
    real = app._display

    def display(screen: Any, renderable: Any) -> None:
        logged = len(frames.log)
        real(screen, renderable)
        if len(frames.log) > logged and shows():
            times.append((frames.log[-1].at, time.thread_time()))

    app._display = display  # type: ignore[method-assign]
    return times


async def to_frame(shown: list[tuple[float, float]], send: Callable[[], object],
                   handled: Callable[[], float]) -> tuple[float, float]:
    """GAP seconds after the last frame, `send` (a key, a change); the milliseconds to the
    first frame that shows it handled, and of the app thread's CPU meanwhile."""
    await asyncio.sleep(GAP)
    sent, cpu = time.perf_counter(), time.thread_time()
    send()

    def drawn() -> bool:
        return handled() >= sent and bool(shown) and shown[-1][0] >= handled()

    if not await wait_for(drawn, 5.0):
        raise TimeoutError("no frame came")
    at, cpu_at = next(frame for frame in shown if frame[0] >= handled())
    return (at - sent) * 1000, (cpu_at - cpu) * 1000


def new_row_seen(table: SegmentTable) -> bool:
    """The cursor is on the last row (the segment just started), scrolled into view."""
    top, room = round(table.scroll_y), table.scrollable_content_region.height - 1  # header
    return table.cursor_row == table.row_count - 1 and top <= table.cursor_row < top + room


def key(app: App[Any], index: int) -> Callable[[], object]:
    """The key 1 to 4 in turn, posted as the terminal driver posts it."""
    name = "1234"[index % 4]
    return lambda: app.post_message(events.Key(name, name))


async def bare_round(figures: Figures, presses: int, ticks: int) -> None:
    app = Bare()
    async with app.run_test(size=SIZE) as pilot:
        shown = frames_showing(app, Frames(app), lambda: True)
        await pilot.pause()
        for index in range(presses):
            figures.times[TIMED[0]].append(
                await to_frame(shown, key(app, index), lambda: app.handled))
        for index in range(ticks):
            figures.times[TIMED[2]].append(await to_frame(
                shown, partial(app.action_show, f"0:{index:02d}"), lambda: app.handled))


async def session_round(folder: Path, clock: SteppingClock, patient: str, figures: Figures,
                        repainted: Repainted, presses: int, ticks: int) -> None:
    """A session of its own patient, later than the last round's: nothing to warn of."""
    with Repository.open(folder, clock, SETTINGS) as repo:
        session = repo.commands.create_session(patient, "Medicare")
        app = make_app(clock, repo)
        async with app.run_test(size=SIZE) as pilot:
            app.open_session(session.id)
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, SessionScreen)
            table = screen.query_one(SegmentTable)
            shown = frames_showing(app, Frames(app), lambda: new_row_seen(table))
            handled = [0.0]
            real_slot, real_tick = screen.action_start_slot, screen.tick

            def start_slot(slot: int) -> None:
                real_slot(slot)
                handled[0] = time.perf_counter()

            def tick() -> None:
                real_tick()
                handled[0] = time.perf_counter()

            screen.action_start_slot = start_slot  # type: ignore[method-assign]
            for index in range(presses):
                figures.times[TIMED[1]].append(
                    await to_frame(shown, key(app, index), lambda: handled[0]))
            for _ in range(ticks):
                await asyncio.sleep(GAP)  # the frames of the last key are drawn
                repainted.on, repainted.lines = True, []
                figures.times[TIMED[3]].append(await to_frame(shown, tick, lambda: handled[0]))
                repainted.on = False
                figures.tick_lines.append(frozenset(repainted.lines))
                running = {s.code for s in screen.view.running} if screen.view else set()
                figures.timer_lines.append(frozenset(
                    {("session-header", 1)} | {(tile.id or "", 2) for tile in screen.query(CodeTile)
                                               if tile.entry.code in running}))
            await pilot.press("space", "ctrl+q")
        repo.commands.close_session(session.id, stop_running=True)


def switch_and_tick(folder: Path, rounds: int, presses: int, ticks: int) -> Figures:
    figures, repainted = Figures(), Repainted()
    clock = SteppingClock(TODAY + timedelta(hours=10), timedelta(seconds=2))
    asyncio.run(bare_round(Figures(), 4, 2))  # warm: Textual's code and CSS for both
    asyncio.run(session_round(folder, clock, "WARM", Figures(), repainted, 4, 2))
    for number in range(rounds):  # in turns, so that drift in the machine hits both
        asyncio.run(bare_round(figures, presses, ticks))
        asyncio.run(session_round(folder, clock, f"BENCH{number}", figures, repainted, presses,
                                  ticks))
    return figures


# ---- the report ------------------------------------------------------------------------------

def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def lines_text(lines: frozenset[tuple[str, int]]) -> str:
    return ", ".join(f"{widget} line {y + 1}" for widget, y in sorted(lines)) or "nothing"


def switch_report(figures: Figures) -> list[tuple[str, bool]]:
    print(f"\nTo the frame that shows it, ms (5 years; {SIZE[0]}x{SIZE[1]}; the bare Textual app "
          f"in the same rounds)\n  {'':<22}{'min':>7}{'median':>7}{'p95':>7}{'max':>7}"
          f"{'CPU median':>12}{'p95':>6}{'x bare':>8}")
    medians = {}
    for name, pairs in figures.times.items():
        wall, cpu = [w for w, _ in pairs], [c for _, c in pairs]
        medians[name] = statistics.median(wall)
        bare = medians.get(TIMED[TIMED.index(name) - 1]) if name in TIMED[1::2] else None
        print(f"  {name:<22}{min(wall):7.1f}{medians[name]:7.1f}{p95(wall):7.1f}"
              f"{max(wall):7.1f}{statistics.median(cpu):12.1f}{p95(cpu):6.1f}"
              + (f"{medians[name] / bare:7.1f}x" if bare else "") + f"  ({len(pairs)})")
    timer_only = sum(lines <= timer for lines, timer in
                     zip(figures.tick_lines, figures.timer_lines, strict=True))
    shown = {lines_text(lines) for lines in figures.tick_lines}
    print(f"\nWhat the timer's second repaints: {' | '.join(sorted(shown))}")
    switch = [w for w, _ in figures.times[TIMED[1]]]
    median, tail = statistics.median(switch), p95(switch)
    return [
        (f"switch median {median:.1f} ms <= {SWITCH_MEDIAN_MS:.0f} ms",
         median <= SWITCH_MEDIAN_MS),
        (f"switch p95 {tail:.1f} ms <= {SWITCH_P95_MS:.0f} ms", tail <= SWITCH_P95_MS),
        (f"the timer's second repaints only the live line and the running codes' times "
         f"({timer_only} of {len(figures.tick_lines)} ticks)",
         timer_only == len(figures.tick_lines)),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="launches of each folder")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of switches and ticks")
    parser.add_argument("--presses", type=int, default=24, help="switches a round")
    parser.add_argument("--ticks", type=int, default=10, help="ticks a round")
    parser.add_argument("--only", choices=("launch", "switch"))
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="tabletime-ui-bench-"))
    try:
        verdicts = run(base, args)
    finally:
        shutil.rmtree(base, ignore_errors=True)  # hard links: the cached folders stay
    print()
    for text, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return 0 if all(ok for _, ok in verdicts) else 1


def run(base: Path, args: argparse.Namespace) -> list[tuple[str, bool]]:
    folders = {years: folder_with(years, base / f"{years}y") for years in (0, 5)}
    gc.freeze()  # as `tabletime` runs the app: what was loaded, out of the collector's way
    verdicts = []
    if args.only in (None, "launch"):
        verdicts.append(launch_report(folders, SETTINGS, args.runs))
    if args.only in (None, "switch"):
        verdicts += switch_report(switch_and_tick(folders[5], args.rounds, args.presses,
                                                  args.ticks))
    return verdicts


def launch_report(folders: dict[int, Path], settings: Settings, runs: int
                  ) -> tuple[str, bool]:
    for folder in folders.values():
        asyncio.run(launch_once(folder, settings))  # warm imports and the page cache once
    launches: dict[int, list[float]] = {0: [], 5: []}
    for _ in range(runs):
        for years in (0, 5):  # taken in turns, so that drift in the machine hits both
            launches[years].append(asyncio.run(launch_once(folders[years], settings)))
    for years in (0, 5):
        print(f"{years} years: launch to first screen median "
              f"{statistics.median(launches[years]):.0f} ms "
              f"(min {min(launches[years]):.0f}, max {max(launches[years]):.0f})")
    ratio = statistics.median(launches[5]) / statistics.median(launches[0])
    return f"launch with 5 years within {LAUNCH_RATIO}x of empty ({ratio:.2f}x)", \
        ratio <= LAUNCH_RATIO


if __name__ == "__main__":
    raise SystemExit(main())
