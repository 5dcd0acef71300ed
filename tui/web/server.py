"""`tabletime serve`: textual-serve's server (one app process per browser connection, drawn by
xterm.js), made safe by default:

- a new random token each start, in the one URL printed; the request bearing it gets an
  HttpOnly, SameSite=Strict cookie and is sent on to the clean URL; every other request, the
  websocket included, needs the cookie (compared in constant time), else 403;
- the Host must be one this server answers to (DNS rebinding), and the websocket's Origin
  this page's own (another site's page open in the same browser could drive the app);
- every asset from this server (the bundled font too: the page works offline), no directory
  listing, a Content-Security-Policy allowing only this origin, nothing cached;
- one app process per data folder: a new tab or device takes the session over, the old page
  says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import os
import secrets
import shlex
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from ssl import SSLContext
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
import jinja2
import textual_serve
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from core.text import printable
from tui.cli.main import EXIT_LOCKED

HERE = Path(__file__).parent
TEXTUAL_SERVE_STATIC = Path(textual_serve.__file__).parent / "static"
COOKIE = "tabletime"
TAKEN_OVER = 4000
"""The websocket close code a page gets when another tab or device opened Tabletime."""
STOPPED = 1001
"""The close code a page gets when the server stops ("going away")."""
NOT_STARTED = 4001
"""The close code a page gets when the app could not start; the reason is its one line."""
QUIT_SECONDS = 5
"""How long an app is given to quit (it saves nothing more on the way: all is saved)."""
ERRORS_PREFIX = "tabletime-serve-"
"""The temporary folders of the apps' standard error: ERRORS_PREFIX + server pid + random."""
IN_USE = (b"this data folder is open in Tabletime elsewhere (in a terminal?): close it "
          b"there, then Open again")
"""The page's words when the app found its folder in use (exit status 3)."""
REASON_BYTES = 123
"""The most a websocket close reason may hold."""
POLICY = "; ".join((
    "default-src 'none'", "script-src 'self'", "font-src 'self'", "img-src 'self' data:",
    "connect-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
    # textual.js injects two style elements of its own: allowed by their hashes, nothing else
    "style-src 'self' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' "
    "'sha256-03EiY9OLVCaCQVNKUgCYxdI11BJ8pKsqSKUlTlszVsE='"))
HEADERS = {"Content-Security-Policy": POLICY, "Cache-Control": "no-store",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "X-Frame-Options": "DENY"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class TabletimeServer(Server):
    """textual-serve's Server with the token, the checks, our page and one app at a time."""

    def __init__(self, data_dir: Path, host: str, port: int, *, names: tuple[str, ...] = (),
                 ssl: SSLContext | None = None) -> None:
        self.scheme = "https" if ssl else "http"
        command = shlex.join([sys.executable, "-m", "tui.cli.main", "--data-dir",
                              str(data_dir)])
        _sweep_errors()
        self._errors = Path(tempfile.mkdtemp(prefix=f"{ERRORS_PREFIX}{os.getpid()}-"))
        """Each app's standard error (0700): the one line a page shows if it cannot start."""
        super().__init__(command, host=host, port=port, title="Tabletime",
                         public_url=f"{self.scheme}://{_authority((*names, host)[0], port)}",
                         statics_path=TEXTUAL_SERVE_STATIC, templates_path=HERE / "templates")
        self.ssl = ssl
        self.token = secrets.token_urlsafe(32)
        """In the URL printed at start: whoever has it may open Tabletime here."""
        self._secret = secrets.token_urlsafe(32)
        """The cookie's value, set for the URL's token."""
        self.hosts = frozenset(_authority(name, port)
                               for name in {host, "127.0.0.1", "localhost", "::1", *names})
        """The Host headers answered (another is a DNS-rebinding page's)."""
        self._running: tuple[web.WebSocketResponse, AppService] | None = None
        self._turn = asyncio.Lock()

    @property
    def url(self) -> str:
        """The one URL to open: it carries the token."""
        return f"{self.public_url}/?token={self.token}"

    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard])
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        app.add_routes([
            web.get("/", self.handle_index, name="index"),
            web.get("/ws", self.handle_websocket, name="websocket"),
            web.get("/download/{key}", self.handle_download, name="download"),
            web.static("/static", self.statics_path, show_index=False, name="static"),
            web.static("/tabletime", HERE / "static", show_index=False, name="tabletime"),
        ])
        app.on_response_prepare.append(_headers)
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """403 for another Host, and for a request without the cookie (the one bearing the
        token gets it, and goes on to the clean URL)."""
        if request.host not in self.hosts:
            raise web.HTTPForbidden(text="Tabletime does not answer to that host name")
        token = request.query.get("token")
        if request.path == "/" and token is not None:
            if not hmac.compare_digest(token.encode(), self.token.encode()):
                raise web.HTTPForbidden(text="that link is not this Tabletime's: open the "
                                        "one it printed when it started")
            found = web.HTTPSeeOther("/" + _without_token(request))
            found.set_cookie(COOKIE, self._secret, httponly=True, samesite="Strict",
                             secure=self.ssl is not None, path="/")
            raise found
        if not hmac.compare_digest(request.cookies.get(COOKIE, "").encode(),
                                   self._secret.encode()):
            raise web.HTTPForbidden(text="open Tabletime with the link it printed when it "
                                    "started")
        return await handler(request)

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        """The page: its websocket on the host the browser used (a checked one)."""
        scheme = "wss" if self.ssl else "ws"
        return {"websocket_url": f"{scheme}://{request.host}/ws",
                "font_size": to_int(request.query.get("fontsize", "16"), 16)}

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """The app for this page, after the Origin check; the page open before it is told
        it was taken over and its app stopped first (one writer per data folder)."""
        if request.headers.get("Origin") != f"{self.scheme}://{request.host}":
            raise web.HTTPForbidden(text="a page of another site may not open Tabletime")
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        async with self._turn:
            if self._running is not None:
                before, service = self._running
                await before.close(code=TAKEN_OVER,
                                   message=b"Tabletime was opened in another tab or device")
                await service.stop()

            async def close() -> None:  # the app ended: the page says so
                await websocket.close()

            errors = self._errors / f"{secrets.token_hex(8)}.txt"

            async def ended(status: int | None) -> None:  # gone without a word: say why
                if not websocket.closed:
                    await websocket.close(code=NOT_STARTED, message=IN_USE
                                          if status == EXIT_LOCKED else _reason(errors))
                errors.unlink(missing_ok=True)

            service = _Watched(f"{self.command} 2>{shlex.quote(str(errors))}", ended,
                               write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                               close=close, download_manager=self.download_manager)
            self._running = (websocket, service)
            await service.start(to_int(request.query.get("width", "80"), 80),
                                to_int(request.query.get("height", "24"), 24))
        try:
            await self._process_messages(websocket, service)
        finally:
            await service.stop()
            if self._running is not None and self._running[0] is websocket:
                self._running = None
        return websocket

    async def on_startup(self, app: web.Application) -> None:
        """Nothing printed here: the command line prints the URL."""

    async def on_shutdown(self, app: web.Application) -> None:
        """The server stops (ctrl+c, SIGTERM): the page is told, its app quits as ctrl+q
        quits it (everything it recorded is already saved)."""
        if self._running is not None:
            websocket, service = self._running
            await websocket.close(code=STOPPED, message=b"the Tabletime server was stopped")
            await service.stop()
        shutil.rmtree(self._errors, ignore_errors=True)

    def serve(self, debug: bool = False) -> None:
        """Run until ctrl+c, on TLS when given (textual-serve's own serve() has none)."""
        web.run_app(self._make_app(), host=self.host, port=self.port, ssl_context=self.ssl,
                    shutdown_timeout=5, print=lambda *_: None)


class _Watched(AppService):
    """An app process that says when it ended, however it ended (textual-serve leaves the
    page on its splash when the app exits before it starts)."""

    def __init__(self, command: str, ended: Callable[[int | None], Awaitable[None]],
                 **options: Any) -> None:
        super().__init__(command, **options)
        self._ended = ended

    async def run(self) -> None:
        try:
            await super().run()
        finally:
            status = None  # its exit status, once its output has ended (None: still going)
            if self._process is not None:
                with contextlib.suppress(TimeoutError):
                    status = await asyncio.wait_for(self._process.wait(), QUIT_SECONDS)
            await self._ended(status)

    async def stop(self) -> None:
        """Stopped means gone, its folder lock released: textual-serve's stop returns when
        the app's output ends, a moment before the process exits, and the next page's app
        (a reload, a takeover) would find the folder still in use."""
        await super().stop()
        if self._process is not None and self._process.returncode is None:
            try:
                await asyncio.wait_for(self._process.wait(), QUIT_SECONDS)
            except TimeoutError:  # an app that does not quit is not left holding the folder
                self._process.kill()
                await self._process.wait()


def _sweep_errors() -> None:
    """Remove the error folders of servers that were killed (kill -9 leaves theirs): each
    is named after its server's process id, and only one of ours whose process is gone."""
    for folder in Path(tempfile.gettempdir()).glob(f"{ERRORS_PREFIX}*-*"):
        pid = folder.name.removeprefix(ERRORS_PREFIX).partition("-")[0]
        try:
            if not pid.isdigit() or folder.lstat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # alive under another user, or not ours to look at
            continue


def _reason(errors: Path) -> bytes:
    """The app's last line on standard error, as a close reason (at most 123 bytes)."""
    try:
        lines = errors.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        lines = []
    text = printable(lines[-1].removeprefix("tabletime: ").removeprefix("error: ")
                     if lines else "Tabletime stopped")
    if len(text.encode()) > REASON_BYTES:  # cut at a word, and said to be cut
        kept = text.encode()[:REASON_BYTES - 4].decode("utf-8", "ignore")
        text = kept.rpartition(" ")[0] + " \u2026"
    return text.encode()


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(HEADERS)


def _authority(host: str, port: int) -> str:
    """`host:port` as a browser sends it in Host (an IPv6 address in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _without_token(request: web.Request) -> str:
    kept = [(key, value) for key, value in request.query.items() if key != "token"]
    return "" if not kept else "?" + urlencode(kept)
