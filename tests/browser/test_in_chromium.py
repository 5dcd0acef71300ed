"""The page in Debian's chromium: offline (no request leaves loopback, the bundled font
loaded), the right size on a tablet's screen, one app per folder (a second tab takes over,
the first says so), and keys typed in the page reaching the app (a timer `tabletime export`
sees running beside it, still running after two reloads). Assertions on data, not pixels."""

import asyncio
import csv
import io
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from playwright.async_api import Browser, Page

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


def segments(folder: Path) -> list[dict[str, str]]:
    """The folder's segments as `tabletime export` writes them (read-only beside the app)."""
    done = subprocess.run([sys.executable, "-m", "tui.cli.main", "--data-dir", str(folder),
                           "export", "--kind", "segments"], capture_output=True, text=True,
                          check=True)
    return list(csv.DictReader(io.StringIO(done.stdout)))


async def running_97110(folder: Path) -> list[dict[str, str]]:
    """The 97110 segments still running, once one is written (10 s at most)."""
    for _ in range(50):
        found = [row for row in segments(folder) if row["code"] == "97110" and not row["end"]]
        if found:
            return found
        await asyncio.sleep(0.2)
    return []


async def test_keys_in_the_page_start_a_timer_that_survives_two_reloads(browser: Browser,
                                                                        served) -> None:
    url, folder = served
    page, _, _ = await opened(browser, url)
    await page.click(".xterm-screen")  # the terminal takes the keys
    await page.keyboard.press("n")
    await asyncio.sleep(1)  # the new-session form opens
    await page.keyboard.type("AB12")
    await page.keyboard.press("Enter")
    await asyncio.sleep(1)  # the session opens
    await page.keyboard.press("1")
    (started,) = await running_97110(folder)
    assert started["patient"] == "AB12"
    for _ in range(2):
        await page.reload()
        await page.wait_for_selector(STARTED, timeout=30000)
    assert await running_97110(folder) == [started]
