"""A favourite code on a key: its code, a short name, and its time in the session (live, the
code's whole total so far, while it runs). Each second only a running tile's last line is
repainted."""

from __future__ import annotations

from datetime import timedelta

from textual.message import Message

from core.catalog import CatalogEntry
from tui.format import elapsed
from tui.widgets.lines import Lines


class CodeTile(Lines):
    class Pressed(Message):
        """The tile was clicked: start (or, for an untimed code running, stop) its code."""

        def __init__(self, slot: int) -> None:
            super().__init__()
            self.slot = slot

    def __init__(self, slot: int, entry: CatalogEntry) -> None:
        super().__init__(f"{slot} {entry.code}", entry.label, "-", id=f"tile-{slot}",
                         classes="tile")
        self.slot = slot
        self.entry = entry
        if not entry.timed:
            self.add_class("-untimed")

    def show(self, total: timedelta, *, running: bool, forgotten: bool) -> None:
        """`total`: the code's time in this session so far (running segments up to now)."""
        minutes = int(total.total_seconds()) // 60
        self.set_line(2, f"▶{elapsed(total)}" if running else
                      (f"{minutes} min" if total else "-"))
        self.set_class(running, "-running")
        self.set_class(forgotten, "-forgotten")

    def flash(self, lit: bool = True) -> None:
        """A unit was reached on this code: lit until the screen puts it
        out (at the next key, or after the setting `alert_seconds`)."""
        self.set_class(lit, "-unit")

    def on_click(self) -> None:
        self.post_message(self.Pressed(self.slot))
