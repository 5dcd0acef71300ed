"""Tests in a real browser: Playwright driving Debian's chromium (no browser download), marked
`browser` and skipped where /usr/bin/chromium is absent; .ci/run installs it, so CI runs them.
Each test gets its own `tabletime serve` process on a folder of its own."""

import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from core.settings import Settings
from storage.settings_file import save_settings

CHROMIUM = Path("/usr/bin/chromium")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(pytest.mark.skip(reason="no /usr/bin/chromium (apt-get "
                                                 "install chromium)"))


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's chromium as this sandbox runs it (root, no GPU, a closed network), through
    Playwright's asyncio API (its sync API would leave an event loop running in the worker,
    which every later asyncio test of that worker would trip on)."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu",
                                                 "--disable-quic"])
        try:
            yield launched
        finally:
            await launched.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serving(folder: Path, *options: str) -> Iterator[str]:
    """`tabletime serve` on a folder with a therapist's settings: the URL it printed."""
    folder.mkdir(mode=0o700)
    save_settings(folder, Settings(therapist="Dana Reyes", credentials="PT",
                                   timezone="America/Chicago"))
    server = subprocess.Popen(
        [sys.executable, "-m", "tui.cli.main", "--data-dir", str(folder), "serve", "--port",
         str(free_port()), *options], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True)
    try:
        assert server.stdout is not None
        yield server.stdout.readline().strip()
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture
def served(tmp_path) -> Iterator[tuple[str, Path]]:
    """`tabletime serve` on its folder: the URL it printed and the folder."""
    for url in serving(tmp_path / "data"):
        assert url.startswith("http://127.0.0.1:"), url
        yield url, tmp_path / "data"


@pytest.fixture
def served_tls(tmp_path) -> Iterator[tuple[str, Path]]:
    """The same over HTTPS, with a certificate for 127.0.0.1 made for the test (a clinic's
    own, which its tablets trust, in real use)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    for url in serving(tmp_path / "data", "--tls-cert", str(cert), "--tls-key", str(key)):
        assert url.startswith("https://127.0.0.1:"), url
        yield url, tmp_path / "data"
