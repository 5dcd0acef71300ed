"""Speed you can feel (issue 17): a form dialog's first frame, a new screen and its footer in
one frame, and launch to Today against a bare Textual app measured in the same run.

On a data folder of a few days of sessions written through the repository's commands (as
the app writes them), today's with a running timer:
  - dialog open (n, p, g and f1 on Today; a, e, s in a session): the real app (make_app on
    the folder, the system clock) in Textual's run_test at 80 x 24, driven by Pilot. From
    the key sent to the dialog's first frame handed to the terminal: the first
    `App._display` of a compositor update while the dialog is the top screen (every widget
    of the dialog is laid out in it). run_test's driver is headless and writes nothing;
    each frame is still encoded into the escape codes a terminal would get, so that cost
    counts. Nothing forces a frame (Pilot's pause would): frames come from the screens' own
    update timers, as in a terminal. "first" is the first open in the app's life (widget
    classes and CSS cold); median and p90 over every run, the rounds interleaved. Where the
    time goes: the key's action until it pushes the screen, compose and mount (widgets made
    and styled), until the first layout begins, layout and render.
    "settled": the key to the dialog's last frame before none came for 150 ms (the frames
    that follow the first: focus, the screen behind it refreshing; typed keys wait for them).
  - screen + footer (enter and d on Today, c in a session, h on the day summary): the same
    way, the new screen's first frame with its content (every table on it holding rows:
    the history's arrive from a worker) and its first frame with footer keys; whether the
    content's frame has them, and the gap.
  - launch: whole processes in a pseudo-terminal of 80 x 24 (TERM=xterm-256color), from the
    fork until what the process wrote (escape codes taken out) holds Today drawn: its title
    line, a row for each of today's sessions and its footer keys (the time to the title
    and rows alone is printed too), and the CPU the process had used (on a shared machine,
    steadier than wall time). Against a bare Textual app drawing a Header, a DataTable of
    as many rows and a Footer, waited for the same way; taken in turns A B A B after a
    warm-up of each, each ended with ctrl+q; the ratio of the medians, and pair by pair.
    Both load compiled modules, as installed (PYTHONDONTWRITEBYTECODE is dropped: see
    Terminal).
Budgets (issues 17, 18): a dialog's first frame under 100 ms (median); a new screen's footer
in the frame of its content (every run); launch within 1.5x the bare app (ratio of the
medians).
Prints figures; exits 1 over budget. --quick: 3 rounds and 3 launches each (about 30 s).

    .venv/bin/python bench/feel_bench.py [--runs 15] [--launches 9] [--quick]
                                         [--only dialogs|screens|launch]
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import gc
import os
import pty
import re
import select
import shutil
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from core.models import FurnishedBy
from core.settings import Settings
from storage.atomic import ensure_private_dir
from storage.repository import Repository
from storage.settings_file import save_settings


@dataclass(frozen=True)
class Painted:
    """What shows that a launch has drawn its screen: the header line, every row of the
    table and a footer key, each a text the process writes to its terminal."""

    header: str
    rows: tuple[str, ...]
    footer: str


SIZE = (80, 24)
DIALOG_BUDGET_MS = 100.0
LAUNCH_BUDGET = 1.5
SETTINGS = Settings(therapist="Bench Therapist", credentials="PT, DPT",
                    timezone="America/New_York")
RUNNING = "FEEL-RUN"
"""The patient of today's session with a running timer: Today's cursor starts on it."""
TODAY = Painted("timed min", ("FEEL-00", "FEEL-01", "FEEL-02", "FEEL-PAUSE", RUNNING), "Day")
"""Today drawn: its title line with the day's totals, a row for each of today's sessions
(seed), a footer key (d: the day summary)."""
BARE = Painted("Bare Textual app", tuple(f"BARE-{n:02d}" for n in range(5)), "Next")
BARE_ARGV = [sys.executable, "-c", f"""
from textual.app import App
from textual.widgets import DataTable, Footer, Header


class Bare(App[None]):
    TITLE = "{BARE.header}"
    BINDINGS = [("n", "bell", "{BARE.footer}")]

    def compose(self):
        yield Header()
        yield DataTable()
        yield Footer()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("Patient", "Payer", "Now", "Min", "Units", "Report", "From")
        table.add_rows([(row, "Medicare", "97110 12:34", "38", "3", "", "08:00")
                        for row in {BARE.rows!r}])


Bare().run()
"""]
"""The baseline: the least a Textual app does to draw a header, a table of as many rows as
Today's and a footer."""


def system_clock() -> datetime:
    return datetime.now(UTC)


# ---- the data folder -------------------------------------------------------------------------

class SetClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def seed(folder: Path, now: datetime) -> Path:
    """Four earlier days of closed sessions; today a few closed ones, one paused and one with
    a running timed code (FEEL-RUN), all written through the repository's commands."""
    ensure_private_dir(folder)
    save_settings(folder, SETTINGS)
    zone = SETTINGS.zone
    local = now.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    # today's sessions fit between midnight and now, whenever the bench runs
    step = max(timedelta(seconds=30), min(timedelta(minutes=12), (local - midnight) / 16))
    clock = SetClock(now)
    payers = ("Medicare", "Commercial", "Medicare", "Medicaid")
    with Repository.open(folder, clock, SETTINGS) as repo:
        commands = repo.commands
        for days_ago in (4, 3, 2, 1):
            day = midnight - timedelta(days=days_ago)
            clock.now = day.replace(hour=8).astimezone(UTC)
            for number in range(6):
                session = commands.create_session(f"FEEL-{number + days_ago:02d}",
                                                  payers[number % 4])
                for code, minutes in (("97110", 23), ("97140", 15), ("97010", 10)):
                    start, clock.now = clock.now, clock.now + timedelta(minutes=minutes)
                    commands.add_segment(session.id, code, start, clock.now, reason="bench")
                commands.close_session(session.id)
                clock.now += timedelta(minutes=5)
        clock.now = (local - 15 * step).astimezone(UTC)
        for number in range(3):
            session = commands.create_session(f"FEEL-{number:02d}", payers[number % 4])
            for code in ("97110", "97140"):
                start, clock.now = clock.now, clock.now + step * 2
                commands.add_segment(session.id, code, start, clock.now, reason="bench")
            commands.close_session(session.id)
        paused = commands.create_session("FEEL-PAUSE", "Commercial")
        start, clock.now = clock.now, clock.now + step
        commands.add_segment(paused.id, "97530", start, clock.now, reason="bench")
        running = commands.create_session(RUNNING, "Medicare")
        start, clock.now = clock.now, clock.now + step
        commands.add_segment(running.id, "97140", start, clock.now,
                             furnished_by=FurnishedBy.THERAPIST, reason="bench")
        commands.start(running.id, "97110", at=clock.now)
        repo.pop_notices()
    return folder


# ---- frames, as the app hands them to the terminal -------------------------------------------

@dataclass(frozen=True)
class Frame:
    at: float
    screen: int
    """id() of the screen: a reference would keep every closed screen alive, and the
    collector's full passes would grow with them."""
    footer_keys: bool
    filled: bool


class Frames:
    """Every frame the app hands to the terminal: when, of which screen, and whether it held
    footer keys and filled tables."""

    def __init__(self, app: Any) -> None:
        from textual.widgets import DataTable
        from textual.widgets._footer import FooterKey

        self.log: list[Frame] = []
        real = app._display

        def display(screen: Any, renderable: Any) -> None:
            if renderable is not None and not app._batch_count:
                encode = getattr(renderable, "render_segments", None)
                if encode is not None:  # what a terminal driver writes (headless skips it)
                    encode(app.console)
                at = time.perf_counter()
                visible = screen._compositor.visible_widgets
                tables = [w for w in visible if isinstance(w, DataTable)]
                self.log.append(Frame(
                    at, id(screen), any(isinstance(w, FooterKey) for w in visible),
                    all(table.row_count > 0 for table in tables)))
            real(screen, renderable)

        app._display = display

    def of(self, screen: Any, since: float) -> list[Frame]:
        return [f for f in self.log if f.screen == id(screen) and f.at >= since]


class Steps:
    """When the steps of showing a screen happened: pushed (the key's action has built it),
    composed (its widgets made, mounted and styled), laid out (its first layout begins; the
    frame follows). Textual's own methods, wrapped for the whole process."""

    def __init__(self) -> None:
        from textual.app import App
        from textual.screen import Screen
        from textual.widget import Widget

        self.log: list[tuple[float, str, int]] = []
        log = self.log
        push, compose, layout = App.push_screen, Widget._on_compose, Screen._refresh_layout

        def push_screen(app: Any, screen: Any, *args: Any, **kwargs: Any) -> Any:
            log.append((time.perf_counter(), "pushed", id(screen)))
            return push(app, screen, *args, **kwargs)

        async def on_compose(widget: Any, event: Any) -> None:
            await compose(widget, event)
            if isinstance(widget, Screen):
                log.append((time.perf_counter(), "composed", id(widget)))

        def refresh_layout(screen: Any, *args: Any, **kwargs: Any) -> None:
            log.append((time.perf_counter(), "laid out", id(screen)))
            layout(screen, *args, **kwargs)

        App.push_screen = push_screen  # type: ignore[method-assign,assignment]
        Widget._on_compose = on_compose  # type: ignore[method-assign,assignment]
        Screen._refresh_layout = refresh_layout  # type: ignore[method-assign,assignment]

    def split(self, sent: float, screen: Any, frame: float) -> tuple[float, ...]:
        """Milliseconds of each step from the key to the screen's first frame: the action
        (to pushed), compose and mount, to the first layout, layout and render."""
        times = [next((t for t, step, of in self.log if step == name and of == id(screen)
                       and t >= sent), sent) for name in STEPS]
        marks = [sent, *times, frame]
        return tuple((b - a) * 1000 for a, b in pairwise(marks))


QUIET = 0.15
"""A dialog has settled when no frame of it came for this long (the frames right after the
first: focus, the screen behind refreshing its footer...; typed keys wait for them)."""
STEPS = ("pushed", "composed", "laid out")
SPLIT = ("action", "compose+mount", "to layout", "layout+render")


async def settle(pilot: Any) -> None:
    await pilot.pause()
    await asyncio.sleep(0.05)


async def wait_for(test: Callable[[], bool], timeout: float) -> bool:
    """Wait, without forcing a frame, until `test` holds (False after `timeout` seconds)."""
    deadline = time.perf_counter() + timeout
    while not test():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(0.002)
    return True


async def press_for_screen(pilot: Any, frames: Frames, key: str, timeout: float = 5.0
                           ) -> tuple[float, Any] | None:
    """Press `key`; wait until a new top screen has had a frame. The time of the key and the
    new screen, or None when no new screen came (the key refused, or does something else)."""
    app = pilot.app
    before = app.screen
    sent = time.perf_counter()
    await pilot.press(key)
    if await wait_for(lambda: app.screen is not before and bool(frames.of(app.screen, sent)),
                      timeout):
        return sent, app.screen
    return None


async def back(pilot: Any, screen: Any, key: str = "escape") -> None:
    """Leave `screen` (escape; dismissed if escape did not close it)."""
    await pilot.press(key)
    await settle(pilot)
    if pilot.app.screen is screen:
        screen.dismiss(None)
        await settle(pilot)


# ---- 1 and 2: dialogs and screens, driven by Pilot ---------------------------------------------

DIALOGS = (("today", "n", "new session"), ("today", "p", "details (Today p)"),
           ("today", "g", "group"), ("today", "f1", "help (f1)"),
           ("session", "a", "add segment"), ("session", "e", "edit segment"),
           ("session", "s", "stop at"))
SCREENS = (("today", "enter", "session"), ("today", "d", "day summary"),
           ("session", "c", "review"), ("day", "h", "history"))


@dataclass
class Figures:
    times: dict[str, list[float]]
    settled: dict[str, list[float]]
    """Per dialog: the key to its last frame before QUIET seconds without one."""
    splits: dict[str, list[tuple[float, ...]]]
    gaps: dict[str, list[tuple[float, float | None, bool]]]
    """Per screen: (content ms, footer ms or None: no footer keys, same frame) of each run."""
    missing: dict[str, int]
    """Runs where the key did not open its dialog or screen."""


async def drive(folder: Path, runs: int, only: str | None) -> Figures:
    from tui.app import make_app

    names = [name for _, _, name in DIALOGS + SCREENS]
    figures = Figures({name: [] for _, _, name in DIALOGS}, {name: [] for _, _, name in DIALOGS},
                      {name: [] for name in names},
                      {name: [] for _, _, name in SCREENS}, {name: 0 for name in names})
    steps = Steps()
    gc.freeze()  # as `tabletime` runs the app: what was loaded, out of the collector's way
    with Repository.open(folder, system_clock) as repo:
        app = make_app(system_clock, repo)
        async with app.run_test(size=SIZE) as pilot:
            frames = Frames(app)
            await settle(pilot)
            today = app.screen

            async def dialog(key: str, name: str) -> None:
                opened = await press_for_screen(pilot, frames, key)
                if opened is None:
                    figures.missing[name] += 1
                    return
                sent, screen = opened
                first = frames.of(screen, sent)[0].at

                def quiet() -> bool:  # no frame of the dialog for QUIET seconds
                    return time.perf_counter() - frames.of(screen, sent)[-1].at > QUIET

                await wait_for(quiet, 2.0)
                settled = frames.of(screen, sent)[-1].at
                figures.times[name].append((first - sent) * 1000)
                figures.settled[name].append((settled - sent) * 1000)
                figures.splits[name].append(steps.split(sent, screen, first))
                await back(pilot, screen)

            async def screen_with_footer(key: str, name: str) -> Any:
                opened = await press_for_screen(pilot, frames, key)
                if opened is None:
                    figures.missing[name] += 1
                    return None
                sent, screen = opened

                def seen(what: str) -> Frame | None:
                    return next((f for f in frames.of(screen, sent) if getattr(f, what)), None)

                await wait_for(lambda: seen("filled") is not None, 5.0)  # history: a worker
                await wait_for(lambda: seen("footer_keys") is not None, 2.0)
                content, footer = seen("filled"), seen("footer_keys")
                first = frames.of(screen, sent)[0].at
                figures.splits[name].append(steps.split(sent, screen, first))
                if content is None:
                    figures.missing[name] += 1
                else:
                    figures.gaps[name].append(((content.at - sent) * 1000,
                                               None if footer is None
                                               else (footer.at - sent) * 1000,
                                               content.footer_keys))
                await settle(pilot)
                return screen

            for _ in range(runs):
                for _ in range(5):  # whatever was left open last round
                    if app.screen is not today:
                        await back(pilot, app.screen)
                for where, key, name in DIALOGS:
                    if where == "today" and only in (None, "dialogs"):
                        await dialog(key, name)
                day = await screen_with_footer("d", "day summary")
                if day is not None:
                    history = await screen_with_footer("h", "history")
                    if history is not None:
                        await back(pilot, history)
                    await back(pilot, day)
                session = await screen_with_footer("enter", "session")
                if session is None:
                    continue
                for where, key, name in DIALOGS:
                    if where == "session" and only in (None, "dialogs"):
                        await dialog(key, name)
                review = await screen_with_footer("c", "review")
                if review is not None:
                    await back(pilot, review)
                await back(pilot, session)
            await pilot.press("ctrl+q")
    return figures


# ---- 3: launch, whole process in a pseudo-terminal ------------------------------------------

ESCAPES = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|P[^\x1b]*\x1b\\|.)")


@dataclass(frozen=True)
class Launch:
    rows: float
    """Seconds from the fork to the header and every row drawn."""
    drawn: float
    """... to the header, every row and the footer drawn: the launch figure."""
    cpu: float
    """CPU seconds the process had used when drawn (steadier than wall time when shared)."""


class Terminal:
    """A process in a pseudo-terminal of SIZE, and all it has written."""

    def __init__(self, argv: list[str]) -> None:
        env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(SIZE[0]),
                   LINES=str(SIZE[1]))
        # Where PYTHONDONTWRITEBYTECODE is set (a development shell), an editable install
        # compiles every module of Tabletime from source at each start (~100 ms here); `pip
        # install .` writes their bytecode at install, as it did Textual's. Without it, the
        # warm-up launch writes it (into the ignored __pycache__/): both apps load compiled
        # modules.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.started = time.perf_counter()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the terminal's size, then the command
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
            os.execve(argv[0], argv, env)
        self.written = bytearray()

    def wait_for(self, texts: tuple[str, ...], timeout: float = 20.0) -> float:
        """Seconds from the fork until what the process wrote, escape codes taken out, holds
        every one of `texts`."""
        deadline = self.started + timeout
        while True:
            text = ESCAPES.sub(b"", bytes(self.written)).decode(errors="replace")
            if all(wanted in text for wanted in texts):
                return time.perf_counter() - self.started
            left = deadline - time.perf_counter()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                missing = [wanted for wanted in texts if wanted not in text]
                raise RuntimeError(f"{missing} not drawn in {timeout:.0f} s: {text[-400:]!r}")
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # the child ended
                chunk = b""
            if not chunk:
                raise RuntimeError(f"ended before drawing: {text[-400:]!r}")
            self.written += chunk

    def close(self) -> None:
        """ctrl+q and wait for the end, reading on (a full pty blocks the writer); killed
        if it has not ended after 10 s."""
        with _quiet():
            os.write(self.fd, b"\x11")
        end = time.perf_counter() + 10
        while not os.waitpid(self.pid, os.WNOHANG)[0]:
            if time.perf_counter() > end:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                break
            if select.select([self.fd], [], [], 0.05)[0]:
                with _quiet():
                    os.read(self.fd, 65536)
        os.close(self.fd)


def launch_once(argv: list[str], painted: Painted) -> Launch:
    terminal = Terminal(argv)
    try:
        rows = terminal.wait_for((painted.header, *painted.rows))
        drawn = terminal.wait_for((painted.header, *painted.rows, painted.footer))
        return Launch(rows, drawn, cpu_seconds(terminal.pid))
    finally:
        terminal.close()


def cpu_seconds(pid: int) -> float:
    """CPU time of a running process, all its threads (Linux: nanoseconds in schedstat)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with _quiet():
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


class _quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return True


def launches(folder: Path, runs: int) -> dict[str, list[Launch]]:
    """Tabletime on `folder` and the bare app, in turns (drift in the machine hits both),
    after a warm-up launch of each (the page cache, bytecode)."""
    tabletime = [str(Path(sys.executable).parent / "tabletime"), "--data-dir", str(folder)]
    commands = {"tabletime": (tabletime, TODAY), "bare Textual": (BARE_ARGV, BARE)}
    for argv, painted in commands.values():
        launch_once(argv, painted)
    results: dict[str, list[Launch]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (argv, painted) in commands.items():
            results[name].append(launch_once(argv, painted))
    return results


# ---- the report ------------------------------------------------------------------------------

def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def report(figures: Figures | None,
           launched: dict[str, list[Launch]] | None
           ) -> list[tuple[str, bool]]:
    verdicts: list[tuple[str, bool]] = []
    if figures is not None and any(figures.times[name] or figures.missing[name]
                                   for _, _, name in DIALOGS):
        print(f"\nDialog open: key to first frame, ms (80x24; budget {DIALOG_BUDGET_MS:.0f})")
        print(f"  {'dialog':<22}{'first':>8}{'median':>8}{'p90':>8}{'max':>8}{'settled':>9}"
              f"  runs")
        for name, times in figures.times.items():
            missing = figures.missing[name]
            if missing:
                print(f"  {name:<22}  did not open {missing} time(s)")
                verdicts.append((f"dialog {name}: did not open {missing} time(s)", False))
            if not times:
                continue
            median = statistics.median(times)
            print(f"  {name:<22}{times[0]:8.0f}{median:8.0f}{p90(times):8.0f}"
                  f"{max(times):8.0f}{statistics.median(figures.settled[name]):9.0f}"
                  f"  {len(times)}")
            verdicts.append((f"dialog {name}: first frame median {median:.1f} ms < "
                             f"{DIALOG_BUDGET_MS:.0f} ms", median < DIALOG_BUDGET_MS))
    if figures is not None:
        print("\nScreen + footer: key to content and to footer keys, medians in ms")
        print(f"  {'screen':<14}{'content':>9}{'footer':>9}{'gap':>7}{'gap max':>9}"
              f"  same frame")
        for name, runs in figures.gaps.items():
            missing = figures.missing[name]
            if missing:
                print(f"  {name:<14}  no content {missing} time(s)")
                verdicts.append((f"{name}: no content {missing} time(s)", False))
            if not runs:
                continue
            content = statistics.median(c for c, _, _ in runs)
            gaps = [f - c for c, f, _ in runs if f is not None]
            same = sum(1 for *_, one in runs if one)
            footer = (f"{statistics.median(f for _, f, _ in runs if f is not None):9.0f}"
                      f"{statistics.median(gaps):7.0f}{max(gaps):9.0f}" if gaps
                      else f"{'none':>9}{'':>16}")
            print(f"  {name:<14}{content:9.0f}{footer}  {same}/{len(runs)}")
            verdicts.append((f"{name}: footer in the content's frame ({same}/{len(runs)} runs"
                             + (f"; gap median {statistics.median(gaps):.0f} ms)" if gaps
                                else "; no footer keys)"), same == len(runs)))
    if figures is not None and any(figures.splits.values()):
        print("\nWhere the time to a first frame goes, medians in ms")
        print(f"  {'':<22}" + "".join(f"{step:>15}" for step in SPLIT))
        for name, splits in figures.splits.items():
            if splits:
                print(f"  {name:<22}" + "".join(f"{statistics.median(column):15.0f}"
                                                for column in zip(*splits, strict=True)))
    if launched is not None:
        verdicts.append(launch_report(launched))
    print()
    for text, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return verdicts


def spread(values: list[float]) -> str:
    """Median, min and max, in the columns of the launch table."""
    return f"{statistics.median(values):8.0f}{min(values):7.0f}{max(values):7.0f}"


def launch_report(launched: dict[str, list[Launch]]) -> tuple[str, bool]:
    """The launch figures, and the verdict on the ratio of the medians to the bare app's."""
    print("\nLaunch, whole process in a pty (80x24): fork to header, rows and footer drawn, ms")
    print(f"  {'':<14}{'median':>8}{'min':>7}{'max':>7}{'rows':>7}{'cpu':>6}  runs")
    for name, runs in launched.items():
        print(f"  {name:<14}{spread([r.drawn * 1000 for r in runs])}"
              f"{statistics.median(r.rows for r in runs) * 1000:7.0f}"
              f"{statistics.median(r.cpu for r in runs) * 1000:6.0f}  {len(runs)}")
    app, bare = launched["tabletime"], launched["bare Textual"]
    ratio = statistics.median(r.drawn for r in app) / statistics.median(r.drawn for r in bare)
    pairs = [a.drawn / b.drawn for a, b in zip(app, bare, strict=True)]
    cpu = statistics.median(r.cpu for r in app) / statistics.median(r.cpu for r in bare)
    print(f"  tabletime / bare: {ratio:.2f}x (pair by pair median {statistics.median(pairs):.2f}x"
          f", min {min(pairs):.2f}x, max {max(pairs):.2f}x; CPU {cpu:.2f}x)")
    return (f"launch to Today within {LAUNCH_BUDGET}x a bare Textual app ({ratio:.2f}x)",
            ratio <= LAUNCH_BUDGET)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds of dialogs and screens")
    parser.add_argument("--launches", type=int, default=9, help="launches of each app")
    parser.add_argument("--quick", action="store_true", help="3 of each: a smoke run")
    parser.add_argument("--only", choices=("dialogs", "screens", "launch"),
                        help="one part only (dialogs come with the screens they pass through)")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.launches = 3, 3
    base = Path(tempfile.mkdtemp(prefix="tabletime-feel-bench-"))
    try:
        folder = seed(base / "data", system_clock())
        figures = launched = None
        if args.only != "launch":
            figures = asyncio.run(drive(folder, args.runs, args.only))
        if args.only in (None, "launch"):
            launched = launches(folder, args.launches)
        verdicts = report(figures, launched)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
