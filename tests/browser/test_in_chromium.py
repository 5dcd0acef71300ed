"""The page in Debian's chromium: offline (no request leaves loopback, the bundled font
loaded), the right size on a tablet's screen, one app per folder (a second tab takes over,
the first says so), keys typed in the page reaching the app (a timer `tabletime summary
--json` sees running beside it, still running after two reloads), and a day's first patient
driven from the page alone. Assertions on data, not pixels."""

import asyncio
import csv
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from playwright.async_api import Browser, Download, Page

STARTED = "body.-first-byte"  # the app's first frame reached the page


async def opened(browser: Browser, url: str, **context: Any
                 ) -> tuple[Page, list[str], list[str]]:
    """A new page at `url`: the page, every request it made and its websockets' URLs."""
    page = await (await browser.new_context(**context)).new_page()
    requests: list[str] = []
    sockets: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("websocket", lambda socket: sockets.append(socket.url))
    await page.goto(url)
    await page.wait_for_selector(STARTED, timeout=30000)
    return page, requests, sockets


async def test_the_page_works_offline_with_its_own_font(browser: Browser, served) -> None:
    url, _ = served
    page, requests, sockets = await opened(browser, url)
    assert requests and {urlparse(u).hostname for u in requests + sockets} == {"127.0.0.1"}
    assert await page.evaluate("document.fonts.check(\"16px 'Roboto Mono'\")")
    assert "token" not in page.url  # the token was exchanged for the cookie


def size(sockets: list[str]) -> tuple[int, int]:
    query = parse_qs(urlparse(sockets[-1]).query)
    return int(query["width"][0]), int(query["height"][0])


async def test_at_a_tablet_s_pixel_ratio_the_terminal_fits_the_screen(browser: Browser,
                                                                        served) -> None:
    url, _ = served
    viewport = {"width": 1024, "height": 700}
    _, _, plain = await opened(browser, url, viewport=viewport)
    tablet, _, dense = await opened(browser, url, viewport=viewport, device_scale_factor=2)
    assert size(dense) == size(plain) and size(plain)[0] > 80
    box = await tablet.evaluate("(() => { const r = document.querySelector('.xterm-screen')"
                                ".getBoundingClientRect(); return [r.right, r.bottom]; })()")
    assert box[0] <= viewport["width"] and box[1] <= viewport["height"]


async def test_a_second_tab_takes_over_and_the_first_says_so(browser: Browser,
                                                            served) -> None:
    url, _ = served
    first, _, _ = await opened(browser, url)
    await opened(browser, url)
    await first.wait_for_selector("body.-closed", timeout=30000)
    assert "opened in another tab or device" in await first.inner_text("#closed-reason")


def tabletime(folder: Path, *args: str) -> str:
    """What `tabletime` prints for `args` on the folder the page's app holds (read-only)."""
    return subprocess.run([sys.executable, "-m", "tui.cli.main", "--data-dir", str(folder),
                           *args], capture_output=True, text=True, check=True).stdout


async def sessions_when(folder: Path, ready: Callable[[list[dict[str, Any]]], bool]
                        ) -> list[dict[str, Any]]:
    """Today's sessions as `tabletime summary --json` says them, once `ready` holds (10 s at
    most: the app writes a moment after the key)."""
    for _ in range(50):
        found = json.loads(tabletime(folder, "summary", "--json"))["sessions"]
        if ready(found):
            return list(found)
        await asyncio.sleep(0.2)
    return list(found)


def timing_97110(sessions: list[dict[str, Any]]) -> bool:
    return any(s["running"] == ["97110"] for s in sessions)


async def keys(page: Page, *pressed: str, settle: float = 1) -> None:
    """Keys typed on the page's keyboard, then a moment for the screen they open."""
    for key in pressed:
        await page.keyboard.press(key)
    await asyncio.sleep(settle)


async def test_keys_in_the_page_start_a_timer_that_survives_two_reloads(browser: Browser,
                                                                        served) -> None:
    url, folder = served
    page, _, _ = await opened(browser, url)
    await page.click(".xterm-screen")  # the terminal takes the keys
    await keys(page, "n")
    await page.keyboard.type("AB12")
    await keys(page, "Enter", "1", settle=0)
    (started,) = await sessions_when(folder, timing_97110)
    assert started["patient"] == "AB12" and started["status"] == "open"
    for _ in range(2):
        await page.reload()
        await page.wait_for_selector(STARTED, timeout=30000)
    (again,) = await sessions_when(folder, lambda _: True)
    assert (again["id"], again["running"]) == (started["id"], ["97110"])


async def test_a_day_s_first_patient_from_the_page_alone(browser: Browser, served,
                                                         tmp_path: Path) -> None:
    """Everything a therapist does for a patient, on the page: a new session, 20 minutes of
    97110 backdated, the close, the chart note copied to the browser's clipboard, the claim
    lines exported and downloaded to the device."""
    url, folder = served
    page, _, _ = await opened(browser, url, permissions=["clipboard-read", "clipboard-write"])
    downloads: list[Download] = []

    def keep(download: Download) -> None:
        downloads.append(download)

    page.context.on("page", lambda popup: popup.on("download", keep))  # a tab opened for it
    page.on("download", keep)
    await page.click(".xterm-screen")
    await keys(page, "n")
    await page.keyboard.type("AB12")
    await keys(page, "Enter", "a", "1", "Tab")  # 97110, begun 20 minutes ago
    await page.keyboard.type("20")
    await keys(page, "Enter", settle=0)
    assert timing_97110(await sessions_when(folder, timing_97110))
    await keys(page, "Space", "c")  # pause, then the review
    await keys(page, "Enter", settle=0)  # close with its units
    (closed,) = await sessions_when(folder, lambda found: found[0]["status"] == "closed")
    assert closed["running"] == [] and closed["units"] == {"97110": 1}
    await keys(page, "y")  # the chart note, copied
    note = await page.evaluate("navigator.clipboard.readText()")
    assert "AB12" in note and "97110" in note and "Dana Reyes" in note
    await keys(page, "Escape")  # alone: an escape with a key after it reads as alt+key
    await keys(page, "d", "x")  # the day summary, its export dialog
    await keys(page, "Enter", settle=0)  # today to today
    for _ in range(50):
        if downloads:
            break
        await asyncio.sleep(0.2)
    (download,) = downloads
    written = sorted((folder / "exports").glob("lines-*.csv"))
    assert [download.suggested_filename] == [path.name for path in written]
    kept = tmp_path / "on-the-tablet.csv"
    await download.save_as(kept)
    assert kept.read_bytes() == written[0].read_bytes()
    rows = list(csv.DictReader(io.StringIO(kept.read_text())))
    assert [(row["patient"], row["code"], row["units"]) for row in rows] == [
        ("AB12", "97110", "1")]


async def test_over_https_the_cookie_is_secure_and_keys_still_reach_the_app(
        browser: Browser, served_tls) -> None:
    """What a tablet on the clinic's network gets (--lan with a certificate): the page, its
    cookie only over HTTPS, its live connection over wss, a timer started from it."""
    url, folder = served_tls
    page, requests, sockets = await opened(browser, url, ignore_https_errors=True)
    assert {urlparse(u).scheme for u in requests} == {"https"}
    assert [urlparse(u).scheme for u in sockets] == ["wss"]
    (cookie,) = await page.context.cookies()
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    await page.click(".xterm-screen")
    await keys(page, "n")
    await page.keyboard.type("CD34")
    await keys(page, "Enter", "1", settle=0)
    (started,) = await sessions_when(folder, timing_97110)
    assert started["patient"] == "CD34"


async def test_enter_and_1_on_today_start_a_timer_in_the_open_session(browser: Browser,
                                                                      served) -> None:
    """The issue's words: a session already open (recorded before the page was opened),
    enter opens it from Today and 1 starts its first favourite."""
    from storage.repository import Repository
    from tui.cli.args import system_clock

    url, folder = served
    with Repository.open(folder, system_clock) as repo:  # the page has no app yet
        repo.commands.create_session("EF56", "Medicare")
    page, _, _ = await opened(browser, url)
    await page.click(".xterm-screen")
    await keys(page, "Enter", "1", settle=0)
    (started,) = await sessions_when(folder, timing_97110)
    assert started["patient"] == "EF56"
