"""Browser benchmark: how quickly Tabletime answers in a page (`tabletime serve`, Debian's
chromium through Playwright), beside a bare Textual app behind the same server in the same
rounds (what textual-serve, xterm.js and the browser cost by themselves).

Each round, in turn for each app, a new server on a new folder and a new page:
  - open: from the page's request to the app's first frame in the page (the server starts
    the app process then; Tabletime's Today, the bare app's one Static),
  - key: a number key typed in the page to the first frame the page receives after it
    (Tabletime: a code switch in an open session, saved to disk before it is drawn, typed
    just after a tick of the running timer, if one is drawn, so that the frame is the
    key's; the bare app: its key changes its Static), --presses times a round.
Prints min / median / max and each median beside the bare app's; exits 1 over budget.
Budgets (issue 21): a switch reaches the page within 120 ms (median), opening within 3 s.

    .venv/bin/python bench/serve_bench.py [--rounds 5] [--presses 12]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.async_api import Page, async_playwright

from core.settings import Settings
from storage.settings_file import save_settings

TABLETIME = "Tabletime"
BARE = "a bare Textual app"
BARE_APP = """
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("0", id="n")

    def on_key(self, event):
        self.query_one("#n").update(event.key)

Bare().run()
"""
SERVER = """
import sys
from pathlib import Path
from tui.web.server import TabletimeServer

server = TabletimeServer(Path(sys.argv[1]), "127.0.0.1", int(sys.argv[2]))
if len(sys.argv) > 3:
    server.command = sys.argv[3]
print(server.url, flush=True)
server.serve()
"""
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def started(folder: Path, which: str, script: Path) -> tuple[subprocess.Popen[str], str]:
    """A server for `which` on `folder`, and the URL it printed."""
    folder.mkdir(mode=0o700)
    save_settings(folder, Settings(therapist="Dana Reyes", credentials="PT"))
    bare = [shlex.join([sys.executable, str(script)])] if which == BARE else []
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(folder), str(free_port()),
                               *bare], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, cwd=Path(__file__).parent.parent)
    assert server.stdout is not None
    return server, server.stdout.readline().strip()


class Frames:
    """The time each websocket frame from the server reached the page."""

    def __init__(self, page: Page) -> None:
        self.times: list[float] = []
        page.on("websocket", lambda socket: socket.on(
            "framereceived", lambda _: self.times.append(time.perf_counter())))

    async def quiet(self) -> None:
        """Just after the running timer's tick, when it draws one (a clear 0.8 s for the
        key, its frame not taken for the key's), else after a second without a frame."""
        with contextlib.suppress(TimeoutError):
            await self.after(time.perf_counter(), timeout=1.1)

    async def after(self, since: float, timeout: float = 10) -> float:
        """Seconds from `since` to the first frame after it."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            found = [t for t in self.times if t > since]
            if found:
                return found[0] - since
            await asyncio.sleep(0.001)
        raise TimeoutError("no frame reached the page")


async def round_of(browser, which: str, base: Path, script: Path, presses: int,
                   figures: dict[str, list[float]]) -> None:
    server, url = started(base / f"{which[:4]}-{time.monotonic_ns()}", which, script)
    try:
        page = await (await browser.new_context(viewport={"width": 1024,
                                                          "height": 700})).new_page()
        frames = Frames(page)
        asked = time.perf_counter()
        await page.goto(url)
        await page.wait_for_selector("body.-first-byte", timeout=30000)
        figures[f"open, {which}"].append(frames.times[0] - asked)
        await page.click(".xterm-screen")
        if which == TABLETIME:  # a session to switch codes in
            await page.keyboard.press("n")
            await asyncio.sleep(1)
            await page.keyboard.type("AB12")
            await page.keyboard.press("Enter")
        await asyncio.sleep(1.5)
        for press in range(presses):
            if which == TABLETIME and press:
                await frames.quiet()
            await asyncio.sleep(0.2)
            since = time.perf_counter()
            await page.keyboard.press(str(press % 4 + 1))
            figures[f"key, {which}"].append(await frames.after(since))
        await page.context.close()
    finally:
        server.terminate()
        server.wait(timeout=20)


def spread(values: list[float], floor: float | None) -> str:
    median = statistics.median(values)
    text = (f"{min(values) * 1000:.0f} / {median * 1000:.0f} / {max(values) * 1000:.0f} ms")
    return text + (f" ({median / floor:.2f}x the bare app)" if floor else "")


async def main(rounds: int, presses: int) -> int:
    figures: dict[str, list[float]] = {f"{kind}, {which}": [] for kind in ("open", "key")
                                       for which in (TABLETIME, BARE)}
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as temporary:
        base = Path(temporary)
        script = base / "bare.py"
        script.write_text(BARE_APP)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            for _ in range(rounds):  # the two apps in turn: a busy machine slows both alike
                for which in (TABLETIME, BARE):
                    await round_of(browser, which, base, script, presses, figures)
            await browser.close()
    print(f"\nin chromium, {rounds} rounds ({presses} keys each), min / median / max:")
    for kind in ("open", "key"):
        floor = statistics.median(figures[f"{kind}, {BARE}"])
        for which in (TABLETIME, BARE):
            values = figures[f"{kind}, {which}"]
            print(f"  {kind}, {which}: {spread(values, floor if which == TABLETIME else None)}")
    verdicts = [
        (f"a switch reaches the page within 120 ms (median "
         f"{statistics.median(figures[f'key, {TABLETIME}']) * 1000:.0f} ms)",
         statistics.median(figures[f"key, {TABLETIME}"]) <= 0.120),
        (f"the page shows Tabletime within 3 s (median "
         f"{statistics.median(figures[f'open, {TABLETIME}']):.2f} s)",
         statistics.median(figures[f"open, {TABLETIME}"]) <= 3),
    ]
    for text, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--presses", type=int, default=12)
    options = parser.parse_args()
    sys.exit(asyncio.run(main(options.rounds, options.presses)))
