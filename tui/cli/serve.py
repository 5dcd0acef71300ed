"""`tabletime serve`: the app in a browser (tui/web/server.py). Checks what it is asked before
anything listens: another address than this machine's needs --lan with a certificate and its
key (patient references never cross the clinic's network in clear)."""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import ssl
from pathlib import Path

from core.text import printable
from storage.folder import resolve_data_dir
from tui.cli.main import EXIT_OK, UsageError
from tui.cli.output import say

LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach `host`."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def tls_context(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    """The server's TLS from a PEM certificate and key; None when neither is given."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise UsageError("--tls-cert and --tls-key go together: give both files")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert.expanduser(), key.expanduser())
    except (OSError, ssl.SSLError) as error:
        raise UsageError(f"cannot use {printable(str(cert))} and {printable(str(key))} as a "
                         f"certificate and its key: {error}") from None
    return context


def _free(host: str, port: int) -> None:
    """UsageError when the address cannot be listened on, before a URL is printed for it."""
    try:
        with socket.create_server((host, port), reuse_port=False):
            pass
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise UsageError(f"cannot listen on {printable(host)} port {port}: {reason} (another "
                         "server? choose --port)") from None


def run_serve(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port} is not a port (1-65535)")
    secure = tls_context(args.tls_cert, args.tls_key)
    if not is_loopback(args.host):
        if not args.lan:
            raise UsageError(f"--host {printable(args.host)} lets other devices connect: add "
                             "--lan (with --tls-cert and --tls-key) if that is meant")
        if secure is None:
            raise UsageError("--lan needs --tls-cert and --tls-key: patient references "
                             "must not cross the clinic's network in clear")
    try:
        from tui.web.server import TabletimeServer
    except ImportError:
        raise UsageError("tabletime serve needs the serve extra: .venv/bin/pip install "
                         "'.[serve]'") from None
    _free(args.host, args.port)
    server = TabletimeServer(resolve_data_dir(args.data_dir), args.host, args.port,
                             names=tuple(args.name), ssl=secure)
    print(server.url, flush=True)
    say("open the link above in a browser: it opens Tabletime on this machine's data, so keep "
        "it to yourself; ctrl+c stops the server (everything is saved as it is recorded)")
    server.serve()
    return EXIT_OK
