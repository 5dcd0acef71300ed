"""Crash reports: what a developer needs and nothing a patient would mind.

Python's and Textual's tracebacks print the error's message and local variables, and either
may hold a patient reference or a note. A report here keeps the error's type and the stack
(file, line, function and the line of source code) and nothing else.
"""

from __future__ import annotations

import os
import platform
import tempfile
import traceback
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from storage import layout
from storage.atomic import FILE_MODE, ensure_private_dir


def crash_text(error: BaseException) -> str:
    lines = [
        f"Tabletime {version('tabletime')} crash report, {datetime.now(UTC):%Y-%m-%d %H:%M:%SZ}",
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}",
        "The error's message and the program's values are left out: they may hold patient data.",
    ]
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = type(current)
        lines += ["", f"{kind.__module__}.{kind.__qualname__}, raised at (most recent last):"]
        for frame in traceback.extract_tb(current.__traceback__):
            lines.append(f"  {frame.filename}:{frame.lineno} in {frame.name}")
            if frame.line:
                lines.append(f"    {frame.line.strip()}")
        current = current.__cause__ or current.__context__
    return "\n".join(lines) + "\n"


def where_it_happened(error: BaseException) -> str:
    """`KeyError in tui/screens/session.py:123`: enough to name the crash in one line."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return type(error).__name__
    last = frames[-1]
    return f"{type(error).__name__} in {Path(last.filename).name}:{last.lineno}"


def crash_message(folder: Path | None, error: BaseException) -> str:
    """The one line a user sees: what stopped, that nothing recorded is lost, where the
    report is."""
    try:
        report = f"a report without patient data is in {write_crash_report(folder, error)}"
    except OSError:
        report = "no report could be written"
    return (f"tabletime: error: an unexpected error stopped Tabletime "
            f"({where_it_happened(error)}); everything recorded before it is saved; {report}")


def write_crash_report(folder: Path | None, error: BaseException) -> Path:
    """Write the report (0600) into the data folder's crashes/, else the temp folder."""
    text = crash_text(error).encode("utf-8")
    name = f"crash-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}.txt"
    places = [folder / layout.CRASHES] if folder is not None and folder.is_dir() else []
    places.append(Path(tempfile.gettempdir()))
    for place in places:
        try:
            ensure_private_dir(place)
            path = place / (name if place.name == layout.CRASHES else f"tabletime-{name}")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            with os.fdopen(fd, "wb") as handle:
                handle.write(text)
            return path
        except OSError:
            continue
    raise OSError("no folder could take the crash report")
