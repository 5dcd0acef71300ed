"""`tabletime serve` is safe by default, without a browser: the token's one use, the cookie
every other request needs, the Host and Origin checks, the headers, no listing, and one app
per data folder (a second page takes over and the first is told)."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import WSServerHandshakeError
from aiohttp.test_utils import TestClient, TestServer

from storage.repository import Repository
from tui.cli.main import main
from tui.web.server import IN_USE, NOT_STARTED, TAKEN_OVER, TabletimeServer, _reason

APP = (f"{sys.executable} -c \"import sys; sys.stdout.write('__GANGLION__\\n'); "
       "sys.stdout.flush(); sys.stdin.buffer.read(1)\"")
"""Stands for the app process: says it started, then waits for a word (quit) from the server
(the checks are the server's)."""


class Clock:
    def __call__(self) -> datetime:
        return datetime.now(UTC)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def served(tmp_path):
    port = free_port()
    server = TabletimeServer(tmp_path / "data", "127.0.0.1", port)
    server.command = APP
    client = TestClient(TestServer(await server._make_app(), host="127.0.0.1", port=port))
    await client.start_server()
    yield server, client
    await client.close()


async def signed_in(server, client) -> None:
    response = await client.get(f"/?token={server.token}&fontsize=20", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/?fontsize=20"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert server.token not in cookie  # the URL's token is not the cookie


async def test_nothing_without_the_token_then_everything_with_its_cookie(served):
    server, client = served
    for path in ("/", "/static/js/textual.js", "/tabletime/page.css", "/download/x",
                 f"/?token={server.token[:-1]}x"):
        assert (await client.get(path, allow_redirects=False)).status == 403, path
    await signed_in(server, client)
    page = await client.get("/")
    assert page.status == 200
    body = await page.text()
    assert "googleapis" not in body and "https://" not in body
    assert f'data-session-websocket-url="ws://127.0.0.1:{server.port}/ws"' in body
    for path in ("/static/js/textual.js", "/static/fonts/RobotoMono-VariableFont_wght.ttf",
                 "/tabletime/page.css", "/tabletime/before.js"):
        assert (await client.get(path)).status == 200, path


async def test_headers_and_no_listing(served):
    server, client = served
    await signed_in(server, client)
    page = await client.get("/")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    assert "http" not in policy  # no other origin
    assert page.headers["Cache-Control"] == "no-store"
    for path in ("/static/", "/tabletime/", "/static/fonts/"):
        assert (await client.get(path)).status in (403, 404), path


async def test_another_host_name_is_refused_even_with_the_cookie(served):
    server, client = served
    await signed_in(server, client)
    for host in (f"evil.example:{server.port}", f"127.0.0.1:{server.port + 1}"):
        assert (await client.get("/", headers={"Host": host})).status == 403, host
    assert (await client.get("/", headers={"Host": f"localhost:{server.port}"})).status == 200


def origin(server) -> dict[str, str]:
    return {"Origin": f"http://127.0.0.1:{server.port}"}


async def test_a_websocket_needs_the_cookie_and_this_page_s_origin(served):
    server, client = served
    with pytest.raises(WSServerHandshakeError) as refused:
        await client.ws_connect("/ws", headers=origin(server))
    assert refused.value.status == 403
    await signed_in(server, client)
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {}):
        with pytest.raises(WSServerHandshakeError) as refused:
            await client.ws_connect("/ws", headers=headers)
        assert refused.value.status == 403, headers
    socket_ = await client.ws_connect("/ws?width=80&height=24", headers=origin(server))
    assert not socket_.closed
    await socket_.close()


async def test_a_second_page_takes_over_and_the_first_is_told(served):
    server, client = served
    await signed_in(server, client)
    first = await client.ws_connect("/ws", headers=origin(server))
    second = await client.ws_connect("/ws", headers=origin(server))
    message = await first.receive(timeout=10)
    assert message.type.name == "CLOSE" and message.data == TAKEN_OVER
    assert str(message.extra) == "Tabletime was opened in another tab or device"
    assert not second.closed
    await second.close()


@pytest.mark.parametrize(("argv", "says"), [
    (["--host", "0.0.0.0"], "lets other devices connect: add --lan"),
    (["--host", "192.168.1.20", "--lan"], "--lan needs --tls-cert and --tls-key"),
    (["--tls-cert", "cert.pem"], "--tls-cert and --tls-key go together"),
    (["--tls-cert", "cert.pem", "--tls-key", "key.pem"], "cannot use cert.pem and key.pem"),
    (["--port", "70000"], "--port 70000 is not a port"),
    (["--port", "BUSY"], "Address already in use (another server? choose --port)")])
def test_serve_refuses_what_is_not_safe_before_listening(capsys, tmp_path, argv, says):
    busy = socket.create_server(("127.0.0.1", 0))
    argv = [str(busy.getsockname()[1]) if arg == "BUSY" else arg for arg in argv]
    with busy:
        status = main(["--data-dir", str(tmp_path / "data"), "serve", *argv])
    out, err = capsys.readouterr()
    assert (status, out) == (2, "") and says in err, err
    assert not Path(tmp_path / "data").exists()


async def test_an_app_that_cannot_start_says_why_on_the_page(tmp_path):
    """The real app, its folder in use by a terminal Tabletime: the page gets the one line
    (textual-serve alone leaves it on the splash)."""
    port = free_port()
    server = TabletimeServer(tmp_path / "data", "127.0.0.1", port)
    client = TestClient(TestServer(await server._make_app(), host="127.0.0.1", port=port))
    await client.start_server()
    try:
        with Repository.open(tmp_path / "data", Clock()):
            await signed_in(server, client)
            page = await client.ws_connect("/ws", headers=origin(server))
            message = await page.receive(timeout=60)
        assert message.type.name == "CLOSE" and message.data == NOT_STARTED
        reason = str(message.extra)
        assert reason == IN_USE.decode()  # whole words: the app's own line is longer
    finally:
        await client.close()


def test_the_host_names_answered_are_this_machine_s_and_those_given(tmp_path):
    server = TabletimeServer(tmp_path / "data", "192.168.1.20", 8443,
                             names=("tabletime.clinic.example",))
    assert server.hosts == {"192.168.1.20:8443", "127.0.0.1:8443", "localhost:8443",
                            "[::1]:8443", "tabletime.clinic.example:8443"}
    assert server.url.startswith("http://tabletime.clinic.example:8443/?token=")  # the name
    shutil.rmtree(server._errors)


def test_a_killed_server_s_error_folder_is_removed_by_the_next(tmp_path, monkeypatch):
    """kill -9 leaves a server's folder of its apps' error lines in the temporary folder: the
    next server removes it, never one of a server still running."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    dead = tmp_path / f"tabletime-serve-{ended.pid}-x1"
    alive = tmp_path / f"tabletime-serve-{os.getpid()}-x2"
    unrelated = tmp_path / "tabletime-serve-notes"
    for folder in (dead, alive, unrelated):
        folder.mkdir()
        (folder / "a.txt").write_text("the folder is in use")
    server = TabletimeServer(tmp_path / "data", "127.0.0.1", free_port())
    assert not dead.exists() and alive.exists() and unrelated.exists()
    assert server._errors.parent == tmp_path
    assert server._errors.name.startswith(f"tabletime-serve-{os.getpid()}-")
    shutil.rmtree(server._errors)


def test_a_long_reason_is_cut_at_a_word_and_says_so(tmp_path):
    """A websocket close reason holds 123 bytes: the app's line (a settings error naming a
    long path) is cut at a space, an ellipsis after it, never mid-word or mid-character."""
    errors = tmp_path / "errors.txt"
    errors.write_text("starting...\ntabletime: " + "é settings.toml: bad value " * 9 + "\n")
    reason = _reason(errors).decode()
    assert len(reason.encode()) <= 123 and reason.endswith(" \u2026")
    assert reason.removesuffix(" \u2026").endswith(("é", "settings.toml:", "bad", "value"))
    errors.write_text("tabletime: error: short one\n")
    assert _reason(errors) == b"short one"
