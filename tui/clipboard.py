"""Putting a chart note on the system clipboard, and knowing whether it got there.

A terminal's own way (OSC 52, what Textual sends) gives no answer and is off in many setups
(tmux by default), so the app says "copied" only when a clipboard program took the text."""

from __future__ import annotations

import os
import shutil
import subprocess

TOOLS = (
    ("pbcopy", ("pbcopy",), None),
    ("wl-copy", ("wl-copy",), "WAYLAND_DISPLAY"),
    ("xclip", ("xclip", "-selection", "clipboard"), "DISPLAY"),
    ("xsel", ("xsel", "--clipboard", "--input"), "DISPLAY"),
    ("clip.exe", ("clip.exe",), None),
)


def copy_text(text: str) -> str | None:
    """The name of the clipboard program that took `text`, or None when none could."""
    for name, command, needs in TOOLS:
        if (needs and not os.environ.get(needs)) or shutil.which(command[0]) is None:
            continue
        try:
            done = subprocess.run(command, input=text.encode(), timeout=2, check=False,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0:
            return name
    return None
